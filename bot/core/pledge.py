"""The pledge against money politics: ``content/<locale>/pledge.md``.

Front matter: ``id: pledge``, ``title``, ``points`` (what the signer pledges, one string each) and
``sources``; the body is the introduction shown above the points.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator

from bot.core.content import Cited, ContentErrors, ContentKind, Document, register_kind

PLEDGE_ID = "pledge"


class PledgeMeta(Cited):
    points: list[str] = Field(min_length=1, max_length=10)

    @field_validator("id")
    @classmethod
    def _pledge_id(cls, v: str) -> str:
        if v != PLEDGE_ID:
            raise ValueError(f"must be '{PLEDGE_ID}'")
        return v

    @field_validator("points")
    @classmethod
    def _points(cls, v: list[str]) -> list[str]:
        for i, point in enumerate(v, 1):
            if not 3 <= len(point.strip()) <= 200:
                raise ValueError(f"point {i} must be 3 to 200 characters long")
        return [p.strip() for p in v]


@dataclass(frozen=True)
class PledgeText:
    meta: PledgeMeta
    body: str
    locale: str
    path: Path

    @property
    def id(self) -> str:
        return self.meta.id


def parse_pledge(doc: Document) -> PledgeText:
    meta = doc.validate(PledgeMeta)
    if not doc.body.strip():
        raise ContentErrors(
            [doc.error("the pledge has no introduction below the front matter", doc.body_line)]
        )
    return PledgeText(meta, doc.body, doc.locale, doc.path)


register_kind(ContentKind("pledge", "pledge.md", parse_pledge, lambda p: p.id))
