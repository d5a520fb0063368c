"""Held-out FAQ phrasings: a check that never reads the gold set's test half.

    PYTHONPATH=. .venv/bin/python bench/nlu_holdout.py [--folds 5] [--misses en]

For each locale, every FAQ entry's phrasings are split into folds (phrasing *i* goes to fold
*i mod folds*); each fold in turn is taken out, the index is built from the rest (all other
locales untouched) and each held-out phrasing is asked. Prints, per locale, how often the held-out
phrasing's own entry comes first (top-1) and how often another target is answered with high
confidence. A phrasing that only its own entry's other phrasings can find generalises; one that
nothing else finds shows a word the lexicon or the other phrasings lack.
"""

from __future__ import annotations

import argparse
import dataclasses

from bot.config import Settings
from bot.core.content import load_content
from bot.core.understanding.content import knowledge
from bot.core.understanding.index import Index


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--misses", choices=["id", "en"], help="list a locale's misses")
    args = parser.parse_args()
    settings = Settings()
    store, _ = load_content(settings.content_dir, ["id", "en"], settings.default_locale)
    k = knowledge(store)
    for locale in ("id", "en"):
        faqs = store.items.get("faq", {}).get(locale, {})
        originals = dict(faqs)
        asked = found = wrong = 0
        misses: list[str] = []
        try:
            for fold in range(args.folds):
                held: list[tuple[str, str]] = []
                for key, e in originals.items():
                    qs = e.meta.questions
                    kept = [q for i, q in enumerate(qs) if i % args.folds != fold]
                    meta = e.meta.model_copy(update={"questions": kept})
                    faqs[key] = dataclasses.replace(e, meta=meta)
                    held += [(e.id, q) for i, q in enumerate(qs) if i % args.folds == fold]
                index = Index(k)
                for faq_id, q in held:
                    u = index.understand(q, locale)
                    top = u.best.label if u.best is not None else "none"
                    asked += 1
                    found += top == f"faq:{faq_id}"
                    wrong += u.confidence == "high" and top != f"faq:{faq_id}"
                    if top != f"faq:{faq_id}":
                        misses.append(
                            f"    MISS [{u.confidence:6}] {q!r}: want {faq_id}, got {top}"
                        )
        finally:
            faqs.update(originals)
        print(
            f"{locale}: {asked} held-out phrasings, top-1 {found / asked:.1%}, "
            f"confidently wrong {wrong / asked:.1%}"
        )
        if args.misses == locale:
            print("\n".join(misses))


if __name__ == "__main__":
    main()
