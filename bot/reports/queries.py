"""The building blocks of the report's sections: period filters, distinct people, regions.

Every query runs on SQLite and PostgreSQL; days are Jakarta days (see :mod:`bot.reports.period`).
Simulator users are left out unless the report is built in the sandbox.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.privacy import ANON_KEY
from bot.db.models import EngagementEvent, Region, User
from bot.reports.period import SIMULATOR, UNKNOWN, Period, suppress

E = EngagementEvent


class ReportQueries:
    """The queries every section is built from: one period, one session, one scope."""

    def __init__(self, session: AsyncSession, period: Period, *, sandbox: bool = False) -> None:
        self.s = session
        self.p = period
        self.dialect = session.get_bind().dialect.name
        #: Simulator users count only in the sandbox (real data never mixes them in).
        self.scope: list[ColumnElement[bool]] = [] if sandbox else [E.channel != SIMULATOR]
        self.user_scope: list[ColumnElement[bool]] = [] if sandbox else [User.channel != SIMULATOR]

    # -- helpers ----------------------------------------------------------------------------
    def day(self) -> ColumnElement[str]:
        """The event's Jakarta day as ``YYYY-MM-DD``."""
        if self.dialect == "postgresql":
            return func.to_char(func.timezone("Asia/Jakarta", E.created_at), "YYYY-MM-DD")
        # SQLite has no zone database; Jakarta has kept UTC+7 without daylight saving since 1964.
        return func.strftime("%Y-%m-%d", E.created_at, "+7 hours")

    def in_period(self, *names: tuple[str, str], upto_only: bool = False) -> ColumnElement[bool]:
        conds: list[ColumnElement[bool]] = [E.created_at < self.p.end, *self.scope]
        if self.p.start is not None and not upto_only:
            conds.append(E.created_at >= self.p.start)
        if len(names) == 1:
            conds += [E.event_type == names[0][0], E.name == names[0][1]]
        elif names:
            types = {t for t, _ in names}
            conds += [E.event_type.in_(types), E.name.in_({n for _, n in names})]
        return and_(*conds)

    @staticmethod
    def prop(key: str) -> Any:
        return E.properties[key]

    async def distinct_actors(
        self, *where: ColumnElement[bool], by_day: bool = False
    ) -> dict[str, int]:
        """Distinct users (per UTC day, or ``""`` for all) among people who still have an account.

        Deleting one's data is a withdrawal: the anonymised rows stay in event counts but no
        longer make anyone a "user" (each row has its own random token, so they cannot be
        grouped back into a person). Answered from the ``(event_type, created_at, user_id)``
        index alone.
        """
        day = self.day()
        cols: list[Any] = [day] if by_day else []
        stmt = select(*cols, func.count(distinct(E.user_id))).where(
            *where, E.user_id.is_not(None), *self.scope
        )
        if by_day:
            stmt = stmt.group_by(day)
        out: Counter[str] = Counter()
        for *key, n in await self.rows(stmt):
            out[key[0] if key else ""] += int(n)
        return dict(out)

    async def rows(self, stmt: Any) -> list[Any]:
        return list((await self.s.execute(stmt)).all())

    async def count(self, *names: tuple[str, str]) -> int:
        return int(await self.s.scalar(select(func.count()).where(self.in_period(*names))) or 0)

    async def counts(self, event_type: str, names: Iterable[str]) -> dict[str, int]:
        names = list(names)
        stmt = (
            select(E.name, func.count())
            .where(self.in_period(*[(event_type, n) for n in names]), E.event_type == event_type)
            .group_by(E.name)
        )
        found = {name: int(n) for name, n in await self.rows(stmt)}
        return {name: found.get(name, 0) for name in names}

    async def regions(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """``kabupaten id → (province name, kabupaten name)``."""
        ids = {i for i in ids if i is not None}
        if not ids:
            return {}
        kab = {
            r.id: r for r in (await self.s.scalars(select(Region).where(Region.id.in_(ids)))).all()
        }
        prov_ids = {r.province_id for r in kab.values() if r.province_id}
        provs = {
            r.id: r.name
            for r in (await self.s.scalars(select(Region).where(Region.id.in_(prov_ids)))).all()
        }
        return {
            i: (provs.get(r.province_id or -1, r.name if r.level == "province" else "?"), r.name)
            for i, r in kab.items()
        }

    async def regional(self, per_kabupaten: dict[int | None, int], metric: str) -> dict[str, Any]:
        """Rows by province and by kabupaten/kota with small cells suppressed."""
        names = await self.regions(k for k in per_kabupaten if k is not None)
        by_prov: Counter[str] = Counter()
        kab_rows: list[dict[str, Any]] = []
        unknown = per_kabupaten.get(None, 0)
        for kid, n in per_kabupaten.items():
            if kid is None:
                continue
            if kid not in names:
                unknown += n
                continue
            prov, kab = names[kid]
            by_prov[prov] += n
            value, hidden = suppress(n)
            kab_rows.append(
                {"province": prov, "kabupaten": kab, metric: value, "suppressed": hidden}
            )
        prov_rows = []
        for prov, n in by_prov.items():
            value, hidden = suppress(n)
            prov_rows.append({"province": prov, metric: value, "suppressed": hidden})
        if unknown:
            prov_rows.append({"province": UNKNOWN, metric: unknown, "suppressed": False})

        def order(row: dict[str, Any]) -> tuple[bool, int, str]:
            return (row["province"] == UNKNOWN, -(row[metric] or 0), str(row))

        return {
            "by_province": sorted(prov_rows, key=order),
            "by_kabupaten": sorted(kab_rows, key=order),
        }

    def days(self, first: str | None) -> list[str]:
        """Every day of the period (from the first event's day when ``since`` is open)."""
        start = self.p.since or (date.fromisoformat(first) if first else self.p.until)
        n = (self.p.until - start).days + 1
        return [(start + timedelta(days=i)).isoformat() for i in range(max(n, 0))]

    async def actors(self, *names: tuple[str, str], extra: Any = None) -> list[tuple[Any, ...]]:
        """``(actor, extra)`` rows; the actor is the user id or a deleted user's token."""
        cols: list[Any] = [E.user_id, E.properties[ANON_KEY].as_string()]
        if extra is not None:
            cols.append(extra)
        out = []
        for uid, anon, *rest in await self.rows(select(*cols).where(self.in_period(*names))):
            actor = f"u{uid}" if uid is not None else (f"a{anon}" if anon else None)
            out.append((actor, *rest))
        return out
