"""Claims (``content/<locale>/claims/<id>.md``): a checked claim, its verdict, a paste-back reply.

::

    ---
    id: tinta-pemilu-haram             # the file name; the same id in every locale
    title: Tinta pemilu haram ...       # <= 60 characters
    verdict: keliru                     # hoaks | keliru | menyesatkan | benar | belum-terbukti
    checked: 2024-01-18                 # when the debunk we cite was published
    reviewed: 2026-12-02
    variants:                           # >= 3 ways the claim circulates
      - Hati-hati tinta pemilu itu haram ...
    urls: [https://...]                 # optional: links that spread it
    image_hashes: [c3a1...]             # optional: perceptual hashes (hex) of its images
    sources:                            # the published debunk, laws, ...
      - id: ...
        title: ...
        url: https://...
    reply: >-                           # two or three polite sentences with exactly one link
      Maaf nyela ya ...
    ---
    A short explanation, <= 600 characters after fact substitution.

The verdict must be the same in every locale (checked across locales after loading).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from bot.core.content import (
    Cited,
    ContentError,
    ContentErrors,
    ContentKind,
    Document,
    Reviewed,
    register_kind,
)
from bot.core.i18n import N_

Verdict = Literal["hoaks", "keliru", "menyesatkan", "benar", "belum-terbukti"]
#: Verdict → its label (translated when shown).
VERDICT_LABELS: dict[str, str] = {
    "hoaks": N_("HOAX"),
    "keliru": N_("FALSE"),
    "menyesatkan": N_("MISLEADING"),
    "benar": N_("TRUE"),
    "belum-terbukti": N_("UNPROVEN"),
}
VERDICT_ICONS = {
    "hoaks": "❌",
    "keliru": "❌",
    "menyesatkan": "⚠️",
    "benar": "✅",
    "belum-terbukti": "❔",
}
MAX_EXPLANATION = 600
MAX_TITLE = 60
URL_RE = re.compile(r"https?://[^\s<>\"')\]]+")
HASH_RE = re.compile(r"^[0-9a-f]{16,64}$")
#: A sentence ends at . ! ? (or an ellipsis) followed by a space or the end.
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)")


def count_sentences(text: str) -> int:
    """Sentences in ``text`` once links are taken out (a link's dots end nothing)."""
    without_links = URL_RE.sub("LINK", text).strip()
    ends = len(_SENTENCE_END.findall(without_links))
    tail = not _SENTENCE_END.search(without_links[-1:] + " ") if without_links else False
    return ends + (1 if tail else 0)


class ClaimMeta(Cited, Reviewed):
    title: str = Field(min_length=3, max_length=MAX_TITLE)
    verdict: Verdict
    checked: dt.date
    variants: list[str] = Field(min_length=3)
    urls: list[str] = Field(default_factory=list)
    image_hashes: list[str] = Field(default_factory=list)
    reply: str = Field(min_length=20)

    @field_validator("variants")
    @classmethod
    def _variants(cls, v: list[str]) -> list[str]:
        cleaned = [" ".join(s.split()) for s in v]
        if any(len(s) < 8 for s in cleaned):
            raise ValueError("a variant is empty or too short to match (< 8 characters)")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a variant is listed twice")
        return cleaned

    @field_validator("urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for url in v:
            if not URL_RE.fullmatch(url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return v

    @field_validator("image_hashes")
    @classmethod
    def _hashes(cls, v: list[str]) -> list[str]:
        for h in v:
            if not HASH_RE.match(h):
                raise ValueError(f"not a lower-case hex perceptual hash: {h!r}")
        return v

    @field_validator("reply")
    @classmethod
    def _reply(cls, v: str) -> str:
        text = " ".join(v.split())
        links = URL_RE.findall(text)
        if len(links) != 1:
            raise ValueError(f"must contain exactly one link (found {len(links)})")
        sentences = count_sentences(text)
        if not 2 <= sentences <= 3:
            raise ValueError(f"must be two or three sentences (found {sentences})")
        return text


@dataclass(frozen=True)
class Claim:
    meta: ClaimMeta
    explanation: str
    locale: str
    path: Path
    verdict_line: int

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def link(self) -> str:
        """The one link of the paste-back reply."""
        found = URL_RE.search(self.meta.reply)
        return found.group(0) if found else ""


def _parse_claim(doc: Document) -> Claim:
    meta = doc.validate(ClaimMeta)
    errors = []
    if meta.id != doc.path.stem:
        errors.append(doc.error(f"id '{meta.id}' must match the file name", doc.line_of(["id"])))
    if meta.checked > meta.reviewed:
        errors.append(doc.error("checked is after reviewed", doc.line_of(["checked"])))
    body = doc.body.strip()
    if not body:
        errors.append(
            doc.error("the claim has no explanation below the front matter", doc.body_line)
        )
    elif len(body) > MAX_EXPLANATION:
        errors.append(
            doc.error(
                f"the explanation has {len(body)} characters; keep it to {MAX_EXPLANATION}",
                doc.body_line,
            )
        )
    if errors:
        raise ContentErrors(errors)
    return Claim(meta, body, doc.locale, doc.path, doc.line_of(["verdict"]))


def _cross_check(by_locale: dict[str, dict[str, Claim]], default: str) -> list[ContentError]:
    """Every locale has the same claim ids as the default locale, with the same verdict."""
    errors: list[ContentError] = []
    base = by_locale.get(default, {})
    for locale, claims in by_locale.items():
        if locale == default:
            continue
        for claim_id, claim in claims.items():
            other = base.get(claim_id)
            if other is None:
                errors.append(
                    ContentError(claim.path, 1, f"claim '{claim_id}' has no '{default}' version")
                )
            elif other.meta.verdict != claim.meta.verdict:
                errors.append(
                    ContentError(
                        claim.path,
                        claim.verdict_line,
                        f"verdict '{claim.meta.verdict}' differs from the '{default}' "
                        f"version ('{other.meta.verdict}')",
                    )
                )
        for claim_id, claim in base.items():
            if claim_id not in claims:
                errors.append(
                    ContentError(claim.path, 1, f"claim '{claim_id}' has no '{locale}' version")
                )
    return errors


CLAIM_KIND = register_kind(
    ContentKind("claims", "claims/*.md", _parse_claim, lambda c: c.id, _cross_check)
)
