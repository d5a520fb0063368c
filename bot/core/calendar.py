"""The election calendar: ``content/calendar.md`` (one file for every language).

Front matter lists ``elections``, each with a name per locale and dated ``stages``; every stage
cites its sources. Only dates a source gives belong here: an election whose date is not yet set
is simply not listed.

```yaml
elections:
  - id: pilkada-2024
    name: {id: Pilkada Serentak 2024, en: 2024 regional elections}
    stages:
      - kind: voting-day
        date: 2024-11-27
        sources: [{id: kpu, title: Komisi Pemilihan Umum (KPU RI), url: https://www.kpu.go.id}]
```
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from bot.core import timezones
from bot.core.content import (
    ContentError,
    ContentErrors,
    ContentKind,
    Document,
    Source,
    Strict,
    check_slug,
    check_sources,
    register_kind,
)
from bot.core.i18n import N_

CALENDAR_ID = "calendar"
#: Voting days are counted in Western Indonesia Time (WIB, UTC+7), where most voters live.
WIB = timezones.WIB

#: Stage kinds and their labels (translated when shown).
STAGE_KINDS: dict[str, str] = {
    "voter-list-set": N_("Final voter list (DPT) set"),
    "registration-check": N_("Check your registration"),
    "campaign": N_("Campaign period"),
    "move-deadline": N_("Last day to apply to vote elsewhere"),
    "quiet-period": N_("Quiet period (masa tenang)"),
    "voting-day": N_("Voting day"),
}


class Stage(Strict):
    kind: str
    date: dt.date
    #: The last day, for a stage that lasts several days (campaign, quiet period).
    end: dt.date | None = None
    sources: list[Source] = Field(min_length=1)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in STAGE_KINDS:
            raise ValueError(f"unknown stage kind {v!r} (known: {', '.join(STAGE_KINDS)})")
        return v

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[Source]) -> list[Source]:
        return check_sources(v)

    @model_validator(mode="after")
    def _range(self) -> Stage:
        if self.end is not None and self.end < self.date:
            raise ValueError("end must not be before date")
        return self


class Election(Strict):
    id: str
    #: The election's name per locale code; the default locale's is required.
    name: dict[str, str] = Field(min_length=1)
    stages: list[Stage] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_slug(v)

    @model_validator(mode="after")
    def _one_voting_day(self) -> Election:
        if sum(s.kind == "voting-day" for s in self.stages) != 1:
            raise ValueError("an election needs exactly one 'voting-day' stage")
        return self

    @property
    def voting_day(self) -> dt.date:
        return next(s.date for s in self.stages if s.kind == "voting-day")

    def display_name(self, locale: str, default_locale: str) -> str:
        return self.name.get(locale) or self.name[default_locale]

    def sorted_stages(self) -> list[Stage]:
        return sorted(self.stages, key=lambda s: s.date)


class CalendarMeta(Strict):
    elections: list[Election] = Field(min_length=1)


@dataclass(frozen=True)
class Calendar:
    elections: list[Election]
    path: Path
    id: str = CALENDAR_ID

    def next_election(self, today: dt.date) -> Election | None:
        """The election with the nearest voting day on or after ``today``."""
        upcoming = [e for e in self.elections if e.voting_day >= today]
        return min(upcoming, key=lambda e: e.voting_day) if upcoming else None

    def past_elections(self, today: dt.date, limit: int = 2) -> list[Election]:
        """The most recent elections whose voting day has passed, newest first."""
        past = [e for e in self.elections if e.voting_day < today]
        return sorted(past, key=lambda e: e.voting_day, reverse=True)[:limit]


def today_in_wib(now: dt.datetime) -> dt.date:
    return now.astimezone(WIB).date()


def parse_calendar(doc: Document) -> Calendar:
    meta = doc.validate(CalendarMeta)
    errors: list[ContentError] = []
    ids = [e.id for e in meta.elections]
    for i, election in enumerate(meta.elections):
        line = doc.line_of(["elections", i, "name"])
        if doc.locale not in election.name:
            errors.append(doc.error(f"elections.{i}.name: needs a '{doc.locale}' name", line))
        if ids.count(election.id) > 1:
            errors.append(
                doc.error(
                    f"duplicate election id '{election.id}'", doc.line_of(["elections", i, "id"])
                )
            )
    if errors:
        raise ContentErrors(sorted(set(errors)))
    return Calendar(meta.elections, doc.path)


register_kind(ContentKind("calendar", "calendar.md", parse_calendar, lambda c: c.id, shared=True))
