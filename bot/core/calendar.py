"""The election calendar: ``content/calendar.md`` (one file for every language).

Front matter lists ``elections``, each with a name per locale and ``stages``; every stage cites
its sources. A stage is either **dated** (``date``, and ``end`` for a period) or **expected**: its
date is not set yet, and ``expected`` says per locale what is known (usually a fact from the
ledger, e.g. "expected in 2029; KPU has not set the date yet"). Only dates a source gives belong
here; never write a guessed date. An election whose voting day is expected is shown as such by
``/jadwal`` but has no countdown, no reminders and no quiet-period hold.

```yaml
elections:
  - id: pilkada-2024
    name: {id: Pilkada Serentak 2024, en: 2024 regional elections}
    stages:
      - kind: voting-day
        date: 2024-11-27
        sources: [{id: kpu, title: Komisi Pemilihan Umum (KPU RI), url: https://www.kpu.go.id}]
  - id: next-national
    name: {id: Pemilu nasional berikutnya, en: The next national election}
    stages:
      - kind: voting-day
        expected: {id: "{{fact:next-national-election}}", en: "{{fact:next-national-election}}"}
        sources: [{id: putusan-mk-135-2024, title: Putusan MK No. 135/PUU-XXII/2024}]
```

A stage whose text references a fact also cites the fact's sources.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

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
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")

#: Stage kinds and their labels (translated when shown).
STAGE_KINDS: dict[str, str] = {
    "voter-list-set": N_("Final voter list (DPT) set"),
    "registration-check": N_("Check your registration"),
    "campaign": N_("Campaign period"),
    "move-deadline": N_("Last day to apply to vote elsewhere (study, work, moving house…)"),
    "move-deadline-special": N_(
        "Last day to vote elsewhere for the four special reasons (hospital, disaster, "
        "detention, on duty)"
    ),
    "quiet-period": N_("Quiet period (masa tenang)"),
    "voting-day": N_("Voting day"),
}


class Stage(Strict):
    kind: str
    #: The day the stage starts; None for an *expected* stage whose date is not set yet.
    date: dt.date | None = None
    #: The last day, for a stage that lasts several days (campaign, quiet period).
    end: dt.date | None = None
    #: For an expected stage: what is known about when, per locale (e.g. a fact reference).
    expected: dict[str, str] | None = None
    #: An optional remark shown under the stage, per locale.
    note: dict[str, str] | None = None
    sources: list[Source] = Field(min_length=1)

    @property
    def dated(self) -> bool:
        return self.date is not None

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
        if (self.date is None) == (self.expected is None):
            raise ValueError(
                "give either a 'date' or, when no date is set yet, 'expected' (never both)"
            )
        if self.end is not None and (self.date is None or self.end < self.date):
            raise ValueError("end needs a date and must not be before it")
        return self

    def text(self, field: str, locale: str, default_locale: str) -> str | None:
        """``expected`` or ``note`` in ``locale`` (falling back to the default locale's)."""
        value: dict[str, str] | None = getattr(self, field)
        if not value:
            return None
        return value.get(locale) or value.get(default_locale) or next(iter(value.values()))


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
    def voting_day(self) -> dt.date | None:
        """The voting day, or None while it is only expected (no date set yet)."""
        return next(s.date for s in self.stages if s.kind == "voting-day")

    @property
    def expected(self) -> bool:
        return self.voting_day is None

    def display_name(self, locale: str, default_locale: str) -> str:
        return self.name.get(locale) or self.name[default_locale]

    def sorted_stages(self) -> list[Stage]:
        """Dated stages by date, then expected ones in the file's order."""
        dated = sorted((s for s in self.stages if s.date is not None), key=lambda s: s.date or 0)
        return dated + [s for s in self.stages if s.date is None]


class CalendarMeta(Strict):
    elections: list[Election] = Field(min_length=1)


@dataclass(frozen=True)
class Calendar:
    elections: list[Election]
    path: Path
    id: str = CALENDAR_ID

    def dated(self) -> list[tuple[Election, dt.date]]:
        """Every election whose voting day is set, with that day."""
        return [(e, day) for e in self.elections if (day := e.voting_day) is not None]

    def next_election(self, today: dt.date) -> Election | None:
        """The election with the nearest (dated) voting day on or after ``today``."""
        upcoming = [(e, day) for e, day in self.dated() if day >= today]
        return min(upcoming, key=lambda pair: pair[1])[0] if upcoming else None

    def past_elections(self, today: dt.date, limit: int = 2) -> list[Election]:
        """The most recent elections whose voting day has passed, newest first."""
        past = [(e, day) for e, day in self.dated() if day < today]
        return [e for e, _ in sorted(past, key=lambda pair: pair[1], reverse=True)[:limit]]

    def expected_elections(self) -> list[Election]:
        """Elections whose voting day is expected but not dated yet, in the file's order."""
        return [e for e in self.elections if e.expected]


def today_in_wib(now: dt.datetime) -> dt.date:
    return now.astimezone(WIB).date()


def _cite_stage_facts(doc: Document) -> None:
    """A stage whose text references a fact also cites the fact's sources."""
    if doc.facts is None:
        return
    elections = doc.meta.get("elections")
    for i, election in enumerate(elections if isinstance(elections, list) else []):
        stages = election.get("stages") if isinstance(election, dict) else None
        for j, stage in enumerate(stages if isinstance(stages, list) else []):
            used = doc.facts_within(("elections", i, "stages", j))
            if not used or not isinstance(stage, dict):
                continue
            own: list[Any] = list(stage.get("sources") or [])
            have = {s.get("id") for s in own if isinstance(s, dict)}
            own += [
                s.model_dump(exclude_none=True)
                for s in doc.facts.sources_of(used)
                if s.id not in have
            ]
            stage["sources"] = own


def parse_calendar(doc: Document) -> Calendar:
    _cite_stage_facts(doc)
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
