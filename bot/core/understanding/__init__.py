"""Understanding what people type: normalise, match FAQ entries, pages and intents, answer.

Public API (pure, no database; the index is built once per loaded content store):

- :func:`normalise` — slang, typos of form, amounts and place aliases to a plain form;
- :func:`understand` — the best matches with a confidence of high, medium or low;
- :func:`bot.core.understanding.answer.answer_free_text` — reply to free text per confidence.
"""

from __future__ import annotations

from bot.core.content import ContentStore
from bot.core.understanding.content import knowledge
from bot.core.understanding.model import Confidence, Match, Understanding

__all__ = ["Confidence", "Match", "Understanding", "normalise", "understand", "use_store"]

_default: list[ContentStore] = []


def use_store(store: ContentStore) -> None:
    """Make ``store`` the one :func:`normalise` and :func:`understand` use by default."""
    _default[:] = [store]


def _store(store: ContentStore | None) -> ContentStore:
    if store is not None:
        return store
    if not _default:
        raise RuntimeError("no content loaded: call use_store() or pass store=")
    return _default[0]


def normalise(text: str, locale: str, *, store: ContentStore | None = None) -> str:
    return knowledge(_store(store)).normalise(text, locale)


def understand(text: str, locale: str, *, store: ContentStore | None = None) -> Understanding:
    from bot.core.understanding.index import index_for

    return index_for(_store(store)).understand(text, locale)
