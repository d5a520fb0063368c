"""The About text (``content/<locale>/about.md``): what the bot is, and who runs this copy.

The body is Markdown; ``{operator}`` in it is replaced by ``VOTEBOT_OPERATOR`` (name and contact),
or a kind fallback when it is unset, so each organisation that runs the bot says who it is without
editing the content.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, field_validator

from bot.core.content import (
    ContentErrors,
    ContentKind,
    Document,
    Source,
    Strict,
    check_slug,
    check_sources,
    register_kind,
)

#: The placeholder the body names the operator with.
OPERATOR = "{operator}"


class AboutMeta(Strict):
    id: str
    title: str = Field(min_length=2, max_length=120)
    #: Optional: the About text states what the bot is, not election facts.
    sources: list[Source] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if check_slug(v) != "about":
            raise ValueError("the About text's id is 'about'")
        return v

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[Source]) -> list[Source]:
        return check_sources(v)


@dataclass(frozen=True)
class About:
    meta: AboutMeta
    body: str

    @property
    def id(self) -> str:
        return self.meta.id

    def text(self, operator: str) -> str:
        return self.body.replace(OPERATOR, operator)


def parse_about(doc: Document) -> About:
    meta = doc.validate(AboutMeta)
    errors = []
    if not doc.body.strip():
        errors.append(doc.error("the About text has nothing below the front matter", doc.body_line))
    elif OPERATOR not in doc.body:
        errors.append(
            doc.error(f"name who runs this copy with {OPERATOR} in the text", doc.body_line)
        )
    if errors:
        raise ContentErrors(errors)
    return About(meta, doc.body)


register_kind(ContentKind("about", "about.md", parse_about, lambda a: a.id))
