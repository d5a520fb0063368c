"""A poll's results: counts per question by province, kabupaten/kota within province, channel,
locale and age band, read in one grouped query and suppressed (:mod:`bot.core.polls.suppress`).

Open questions count who answered, and themes an admin assigned (never the text).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Executable, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.core.polls.spec import MULTI, OPEN, Question, questions_of
from bot.core.polls.suppress import Row, Table, make_row, suppress
from bot.db.models import Region
from bot.db.models_poll import Poll, PollAnswer, PollOpenAnswer, PollRespondent

DIMENSIONS = ("province", "channel", "locale", "age_band")
#: The key of the cell of respondents who did not give a dimension (no saved area, no age).
NOT_GIVEN = ""
NATIONAL = "national"


@dataclass
class QuestionResult:
    question: Question
    #: the national row
    total: Row
    #: dimension → its table (cells keyed by province id, channel, locale, age band)
    tables: dict[str, Table] = field(default_factory=dict)
    #: province id → the table of its kabupaten/kota
    kabupaten: dict[str, Table] = field(default_factory=dict)
    #: open questions: the themes an admin assigned, counted (national only)
    themes: Table | None = None


@dataclass
class PollResults:
    poll_id: str
    title: str
    respondents: int
    questions: list[QuestionResult]
    #: region id (as text) → name
    names: dict[str, str]

    def row(
        self, qi: int, province: str | None, kabupaten: str | None
    ) -> tuple[Row, Row | None, Row | None]:
        """The national row of question ``qi`` and those of a province and kabupaten/kota."""
        q = self.questions[qi]
        prov = _find(q.tables["province"], province) if province else None
        kab = (
            _find(q.kabupaten[province], kabupaten)
            if province in q.kabupaten and kabupaten
            else None
        )
        return q.total, prov, kab


def _find(table: Table, key: str | None) -> Row | None:
    return next((c for c in table.cells if c.key == key), None)


def _counts(q: Question, values: dict[int, int]) -> list[int]:
    """Option counts from value → respondents (values are indexes, 1-5, or bit masks)."""
    out = [0] * q.choices
    for value, n in values.items():
        if q.kind == MULTI:
            for i in range(q.choices):
                if value >> i & 1:
                    out[i] += n
        elif q.kind == OPEN:
            continue
        else:
            i = value - 1 if q.kind == "scale" else value
            if 0 <= i < q.choices:
                out[i] += n
    return out


class _Acc:
    """Respondents and value counts of one cell."""

    __slots__ = ("n", "values")

    def __init__(self) -> None:
        self.n = 0
        self.values: dict[int, int] = defaultdict(int)

    def add(self, value: int, n: int) -> None:
        self.n += n
        self.values[value] += n

    def row(self, key: str, q: Question) -> Row:
        return make_row(key, self.n, _counts(q, self.values))


def _key(value: Any) -> str:
    return NOT_GIVEN if value is None else str(value)


async def compute(session: AsyncSession, poll: Poll, *, suppressed: bool = True) -> PollResults:
    questions = questions_of(poll.spec)
    a, r = PollAnswer, PollRespondent
    answered = (a.poll_id == poll.id, a.value.is_not(None))
    # Two scans of covering indexes in their own order (no join, no sort).
    regions = (
        select(a.question, a.value, a.province_id, a.kabupaten_id, func.count())
        .where(*answered)
        .group_by(a.question, a.value, a.province_id, a.kabupaten_id)
    )
    profiles = (
        select(a.question, a.value, a.channel, a.locale, a.age_band, func.count())
        .where(*answered)
        .group_by(a.question, a.value, a.channel, a.locale, a.age_band)
    )
    region_rows, profile_rows = await _both(session, regions, profiles)
    national: dict[int, _Acc] = defaultdict(_Acc)
    #: question → dimension → key → counts; question → province → kabupaten → counts
    by_dim: dict[int, dict[str, dict[str, _Acc]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(_Acc))
    )
    by_kab: dict[int, dict[str, dict[str, _Acc]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(_Acc))
    )
    for qi, value, prov, kab, n in region_rows:
        n, value = int(n), int(value or 0)
        national[qi].add(value, n)
        by_dim[qi]["province"][_key(prov)].add(value, n)
        if prov is not None:
            by_kab[qi][str(prov)][_key(kab)].add(value, n)
    for qi, value, channel, locale, band, n in profile_rows:
        n, value = int(n), int(value or 0)
        dims = by_dim[qi]
        dims["channel"][_key(channel)].add(value, n)
        dims["locale"][_key(locale)].add(value, n)
        dims["age_band"][_key(band)].add(value, n)
    respondents = int(
        await session.scalar(select(func.count()).select_from(r).where(r.poll_id == poll.id)) or 0
    )
    results = []
    tables: list[Table] = []
    for qi, q in enumerate(questions):
        total = national[qi].row(NATIONAL, q)
        qr = QuestionResult(q, total)
        additive = q.kind not in (MULTI, OPEN)
        for dim in DIMENSIONS:
            cells = [acc.row(key, q) for key, acc in sorted(by_dim[qi][dim].items())]
            qr.tables[dim] = Table(total, cells, additive)
        for prov_row in qr.tables["province"].cells:
            if prov_row.key == NOT_GIVEN:
                continue
            kabs = by_kab[qi][prov_row.key]
            cells = [acc.row(key, q) for key, acc in sorted(kabs.items())]
            qr.kabupaten[prov_row.key] = Table(prov_row, cells, additive)
        if q.kind == OPEN:
            qr.themes = await _themes(session, poll.id, qi, total.n.value)
        tables += [*qr.tables.values(), *qr.kabupaten.values()]
        if qr.themes is not None:
            tables.append(qr.themes)
        results.append(qr)
    if suppressed:
        suppress(tables)
    names = await _names(
        session,
        {c.key for qr in results for c in qr.tables["province"].cells}
        | {c.key for qr in results for t in qr.kabupaten.values() for c in t.cells},
    )
    return PollResults(poll.id, poll.title, respondents, results, names)


async def _both(
    session: AsyncSession, first: Executable, second: Executable
) -> tuple[Sequence[Any], Sequence[Any]]:
    """Run two read queries at once, the first on a second connection (each is one scan of an
    index: on two cores this nearly halves the time)."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine):
        return (await session.execute(first)).all(), (await session.execute(second)).all()

    async def other() -> Sequence[Any]:
        async with AsyncSession(bind) as side:
            return (await side.execute(first)).all()

    one, two = await asyncio.gather(other(), session.execute(second))
    return one, two.all()


async def _themes(session: AsyncSession, poll_id: str, qi: int, answered: int) -> Table:
    stmt = (
        select(PollOpenAnswer.theme, func.count())
        .where(PollOpenAnswer.poll_id == poll_id, PollOpenAnswer.question == qi)
        .group_by(PollOpenAnswer.theme)
        .order_by(PollOpenAnswer.theme)
    )
    counts = {(theme or NOT_GIVEN): int(n) for theme, n in (await session.execute(stmt)).all()}
    total = make_row(NATIONAL, answered, [])
    cells = [make_row(theme, n, []) for theme, n in sorted(counts.items())]
    return Table(total, cells, additive=False)


async def _names(session: AsyncSession, keys: set[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    if not ids:
        return {}
    rows = await session.execute(select(Region.id, Region.name).where(Region.id.in_(ids)))
    return {str(i): name for i, name in rows.all()}
