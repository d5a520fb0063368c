"""The report's figures: one JSON-ready dict per section, computed with a few grouped queries.

Dates are Asia/Jakarta (WIB) calendar days, from the IANA zone database (``zoneinfo``; Jakarta
keeps UTC+7 all year); a period is ``since`` 00:00 WIB up to the end of ``until`` (both
inclusive). Every query runs on SQLite and PostgreSQL.

Privacy: no names, usernames, phone numbers or external ids ever leave this module; any regional
cell (a province or kabupaten/kota) counting fewer than :data:`MIN_CELL` users is suppressed: its
count is ``None`` and its row carries ``"suppressed": true``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.privacy import ANON_KEY
from bot.core.timezones import WIB
from bot.db.models import EngagementEvent, Region, User
from bot.db.models_pledge import Report as ReportRow

#: The smallest regional cell a report shows; smaller ones are suppressed.
MIN_CELL = 10
#: The fewest people who must have answered a question before it is ranked "hardest".
MIN_SAMPLE = 5
#: What a suppressed cell shows in tables, CSV and the dashboard.
SUPPRESSED = "<10"
#: The report's sections, in order (and the keys of ``--format json``).
SECTIONS = ("users", "quizzes", "pledges", "tps", "reports", "broadcasts", "referrals")

E = EngagementEvent


class DateError(ValueError):
    """A DATE that is not YYYY-MM-DD, or a range that ends before it starts."""


#: The simulator's channel: its users are left out of reports on real data.
SIMULATOR = "sim"


def parse_day(value: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DateError(
            f"{what}: {value!r} is not a date; use YYYY-MM-DD (a Jakarta day), e.g. 2024-02-14"
        ) from None


def today() -> date:
    """Today in Jakarta."""
    return datetime.now(UTC).astimezone(WIB).date()


@dataclass(frozen=True)
class Period:
    """Jakarta days ``since`` … ``until``, both included; ``since=None``: from the beginning."""

    since: date | None
    until: date

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None) -> Period:
        start = parse_day(since, "--since") if since else None
        end = parse_day(until, "--until") if until else today()
        if start is not None and start > end:
            raise DateError(f"--since {start} is after --until {end}")
        return cls(start, end)

    @property
    def start(self) -> datetime | None:
        if self.since is None:
            return None
        return datetime.combine(self.since, time(), WIB).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.until + timedelta(days=1), time(), WIB).astimezone(UTC)

    def label(self) -> str:
        return f"{self.since or 'start'} … {self.until} (Asia/Jakarta days)"


def suppress(count: int) -> tuple[int | None, bool]:
    """A regional cell's count, or ``None`` (suppressed) under :data:`MIN_CELL`."""
    return (None, True) if 0 < count < MIN_CELL else (count, False)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def experiment_rows(
    session: AsyncSession, start: datetime | None, end: datetime
) -> list[dict[str, Any]]:
    from bot.experiments.analysis import report_rows

    return await report_rows(session, start, end)


class Report:
    """Builds the sections for one period from one session."""

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
            prov_rows.append({"province": "(unknown)", metric: unknown, "suppressed": False})

        def order(row: dict[str, Any]) -> tuple[bool, int, str]:
            return (row["province"] == "(unknown)", -(row[metric] or 0), str(row))

        return {
            "by_province": sorted(prov_rows, key=order),
            "by_kabupaten": sorted(kab_rows, key=order),
        }

    def days(self, first: str | None) -> list[str]:
        """Every day of the period (from the first event's day when ``since`` is open)."""
        start = self.p.since or (date.fromisoformat(first) if first else self.p.until)
        n = (self.p.until - start).days + 1
        return [(start + timedelta(days=i)).isoformat() for i in range(max(n, 0))]

    # -- sections ---------------------------------------------------------------------------
    async def users(self) -> dict[str, Any]:
        # One definition for every user total: people who still have an account, created before
        # the period's end (a deleted account no longer counts anywhere), so total = the sum by
        # channel = the sum by locale = the sum by province.
        exists_then = and_(User.created_at < self.p.end, *self.user_scope)
        total = int(await self.s.scalar(select(func.count()).where(exists_then)) or 0)
        new_since = [] if self.p.start is None else [User.created_at >= self.p.start]
        new = int(await self.s.scalar(select(func.count()).where(exists_then, *new_since)) or 0)
        by_channel = await self.rows(
            select(User.channel, func.count())
            .where(exists_then)
            .group_by(User.channel)
            .order_by(func.count().desc(), User.channel)
        )
        by_locale = await self.rows(
            select(User.locale, func.count())
            .where(User.created_at < self.p.end, *self.user_scope)
            .group_by(User.locale)
        )
        province = Region.__table__.alias("province")
        place = Region.__table__.alias("place")
        by_province = await self.rows(
            select(province.c.name, func.count())
            .select_from(User)
            .outerjoin(place, place.c.id == User.region_id)
            .outerjoin(
                province,
                province.c.id == func.coalesce(place.c.province_id, place.c.id),
            )
            .where(User.created_at < self.p.end, *self.user_scope)
            .group_by(province.c.name)
        )
        msg = E.event_type == "message"
        per_day = await self.distinct_actors(
            msg, E.created_at < self.p.end, *self._since(), by_day=True
        )
        active = {}
        for label, span in (("daily", 1), ("weekly", 7), ("monthly", 30)):
            since = datetime.combine(self.p.until - timedelta(days=span - 1), time(), WIB)
            found = await self.distinct_actors(
                msg, E.created_at >= since, E.created_at < self.p.end
            )
            active[label] = found.get("", 0)
        prov_rows = []
        for name, n in by_province:
            if name is None:
                continue
            value, hidden = suppress(int(n))
            prov_rows.append({"province": name, "users": value, "suppressed": hidden})
        prov_rows.sort(key=lambda r: (-(r["users"] or 0), r["province"]))
        not_set = sum(int(n) for name, n in by_province if name is None)
        if not_set:
            prov_rows.append({"province": "(not set)", "users": not_set, "suppressed": False})
        return {
            "total": total,
            "new": new,
            "active": active,
            "daily_active": [
                {"day": d, "users": per_day.get(d, 0)}
                for d in self.days(min(per_day, default=None))
            ],
            "by_channel": [{"channel": c, "users": int(n)} for c, n in by_channel],
            "by_locale": [
                {"locale": loc or "(not chosen)", "users": int(n)}
                for loc, n in sorted(by_locale, key=lambda r: (-r[1], r[0] is None, r[0] or ""))
            ],
            "by_province": prov_rows,
        }

    def _since(self) -> list[ColumnElement[bool]]:
        return [] if self.p.start is None else [E.created_at >= self.p.start]

    async def quizzes(self) -> dict[str, Any]:
        quiz_id = self.prop("quiz_id").as_string()
        by_quiz = await self.rows(
            select(quiz_id, E.name, func.count())
            .where(self.in_period(("quiz", "quiz_started"), ("quiz", "quiz_completed")))
            .group_by(quiz_id, E.name)
        )
        per_quiz: dict[str, dict[str, int]] = defaultdict(lambda: {"started": 0, "completed": 0})
        for qid, name, n in by_quiz:
            per_quiz[str(qid)]["started" if name == "quiz_started" else "completed"] += int(n)
        started = sum(q["started"] for q in per_quiz.values())
        completed = sum(q["completed"] for q in per_quiz.values())
        score = self.prop("score").as_float()
        total = self.prop("total").as_float()
        avg_score, avg_pct = (
            await self.s.execute(
                select(
                    func.avg(score),
                    func.avg(case((total > 0, score / total))),
                ).where(self.in_period(("quiz", "quiz_completed")))
            )
        ).one()
        question_id = self.prop("question_id").as_string()
        correct = self.prop("correct").as_boolean()
        # Per person, not per answer: someone who answers a question twice (a retake) counts once,
        # as right if they ever got it right.
        questions = await self.rows(
            select(
                quiz_id,
                question_id,
                func.count(distinct(E.user_id)),
                func.count(distinct(case((correct, E.user_id)))),
            )
            .where(self.in_period(("quiz", "question_answered")), E.user_id.is_not(None))
            .group_by(quiz_id, question_id)
        )
        q_rows: list[dict[str, Any]] = [
            {
                "quiz_id": str(qid),
                "question_id": str(qq),
                "answered": int(n),
                "correct": int(c or 0),
                "rate": _rate(int(c or 0), int(n)),
            }
            for qid, qq, n, c in questions
        ]
        # Hardest first, but only among questions enough people answered; the rest follow.
        q_rows.sort(
            key=lambda r: (
                r["answered"] < MIN_SAMPLE,
                r["rate"],
                -r["answered"],
                r["quiz_id"],
                r["question_id"],
            )
        )
        return {
            "started": started,
            "completed": completed,
            "completion_rate": _rate(completed, started),
            "average_score": None if avg_score is None else round(float(avg_score), 2),
            "average_percent": None if avg_pct is None else round(float(avg_pct) * 100, 1),
            # A re-issued certificate (a new name, a retake) counts once per person.
            "certificates": (
                await self.distinct_actors(self.in_period(("quiz", "certificate_issued")))
            ).get("", 0),
            "by_quiz": [
                {
                    "quiz_id": qid,
                    **q,
                    "completion_rate": _rate(q["completed"], q["started"]),
                }
                for qid, q in sorted(per_quiz.items())
            ],
            "questions": q_rows,
        }

    async def pledges(self) -> dict[str, Any]:
        names = await self.counts("pledge", ["pledge_viewed", "pledge_signed", "pledge_withdrawn"])
        kab = self.prop("kabupaten_id").as_integer()
        per_kab = await self.rows(
            select(kab, func.count())
            .where(self.in_period(("pledge", "pledge_signed")))
            .group_by(kab)
        )
        regional = await self.regional({k: int(n) for k, n in per_kab}, "pledges")
        day = self.day()
        per_day_rows = await self.rows(
            select(day, E.name, func.count())
            .where(self.in_period(("pledge", "pledge_signed"), ("pledge", "pledge_withdrawn")))
            .group_by(day, E.name)
        )
        per_day: dict[str, dict[str, int]] = defaultdict(lambda: {"signed": 0, "withdrawn": 0})
        for d, name, n in per_day_rows:
            per_day[d]["signed" if name == "pledge_signed" else "withdrawn"] += int(n)
        return {
            "total": names["pledge_signed"],
            "withdrawn": names["pledge_withdrawn"],
            "net": names["pledge_signed"] - names["pledge_withdrawn"],
            "viewed": names["pledge_viewed"],
            "reminder_opt_ins": await self.count(("pledge", "reminder_opt_in")),
            **regional,
            "per_day": [{"day": d, **per_day[d]} for d in sorted(per_day)],
        }

    async def tps(self) -> dict[str, Any]:
        method = self.prop("method").as_string()
        found = self.prop("found").as_boolean()
        rows = await self.rows(
            select(method, func.count(), func.sum(case((found, 1), else_=0)))
            .where(self.in_period(("tps", "tps_lookup")))
            .group_by(method)
            .order_by(func.count().desc(), method)
        )
        by_method = [
            {
                "method": str(m),
                "lookups": int(n),
                "found": int(f or 0),
                "found_rate": _rate(int(f or 0), int(n)),
            }
            for m, n, f in rows
        ]
        names = await self.counts("tps", ["tps_viewed", "region_saved"])
        return {
            "lookups": sum(r["lookups"] for r in by_method),
            "found": sum(r["found"] for r in by_method),
            "viewed": names["tps_viewed"],
            "regions_saved": names["region_saved"],
            "by_method": by_method,
        }

    async def reports(self) -> dict[str, Any]:
        """Report figures from the ``reports`` table itself (its day, type and place), never from
        log rows: the log holds no type, place or reporter for a finished report."""
        names = await self.counts("report", ["report_started", "report_completed"])
        R = ReportRow
        when = [R.reported_on <= self.p.until]
        if self.p.since is not None:
            when.append(R.reported_on >= self.p.since)
        cats = await self.rows(
            select(R.category, func.count(), func.sum(case((R.consent.is_(True), 1), else_=0)))
            .where(*when)
            .group_by(R.category)
            .order_by(func.count().desc(), R.category)
        )
        per_kab = await self.rows(
            select(R.kabupaten_id, func.count()).where(*when).group_by(R.kabupaten_id)
        )
        regional = await self.regional({k: int(n) for k, n in per_kab}, "reports")
        return {
            "started": names["report_started"],
            "completed": names["report_completed"],
            "with_consent": sum(int(c or 0) for _, _, c in cats),
            "by_category": [{"category": str(c), "reports": int(n)} for c, n, _ in cats],
            "by_province": regional["by_province"],
            "by_kabupaten": regional["by_kabupaten"],
        }

    async def broadcasts(self) -> dict[str, Any]:
        bid = self.prop("broadcast_id").as_string()
        status = self.prop("status").as_string()
        reason = self.prop("reason").as_string()
        created = await self.rows(
            select(bid, self.prop("audience").as_string()).where(
                self.in_period(("broadcast", "broadcast_created"))
            )
        )
        per: dict[str, dict[str, Any]] = {}

        def row(b: object) -> dict[str, Any]:
            key = str(b)
            return per.setdefault(
                key,
                {
                    "broadcast_id": key,
                    "audience": None,
                    "sent": 0,
                    "failed": 0,
                    "blocked": 0,
                    "delivered": 0,
                    "read": 0,
                },
            )

        for b, audience in created:
            row(b)["audience"] = None if audience is None else str(audience)
        deliveries = await self.rows(
            select(bid, status, func.count())
            .where(self.in_period(("broadcast", "delivery")))
            .group_by(bid, status)
        )
        for b, st, n in deliveries:
            if st in ("sent", "failed", "blocked"):
                row(b)[st] += int(n)
        statuses = await self.rows(
            select(bid, status, func.count())
            .where(self.in_period(("whatsapp", "status")), bid.is_not(None))
            .group_by(bid, status)
        )
        for b, st, n in statuses:
            if st in ("delivered", "read"):
                row(b)[st] += int(n)
        reasons = await self.rows(
            select(reason, func.count())
            .where(self.in_period(("broadcast", "delivery")), status == "failed")
            .group_by(reason)
            .order_by(func.count().desc(), reason)
        )
        rows = sorted(per.values(), key=lambda r: r["broadcast_id"])
        totals = {
            k: sum(r[k] for r in rows) for k in ("sent", "failed", "blocked", "delivered", "read")
        }
        return {
            "created": len(created),
            **totals,
            "failed_by_reason": [
                {"reason": "(none)" if r is None else str(r), "failed": int(n)} for r, n in reasons
            ],
            "by_broadcast": rows,
            # experiments started in the period (bot.experiments): per arm and outcome
            "experiments": await experiment_rows(self.s, self.p.start, self.p.end),
        }

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

    async def referrals(self) -> dict[str, Any]:
        joined = await self.actors(
            ("referral", "referral_joined"),
            extra=self.prop("code").as_string(),
        )
        kinds = dict(
            (str(c), None if k is None else str(k))
            for c, k in await self.rows(
                select(self.prop("code").as_string(), self.prop("code_kind").as_string()).where(
                    self.in_period(("referral", "referral_joined"))
                )
            )
        )
        code_of: dict[str, str] = {}
        users: Counter[str] = Counter()
        for actor, code in joined:
            users[str(code)] += 1
            if actor is not None:
                code_of.setdefault(actor, str(code))
        pledged: dict[str, set[str]] = defaultdict(set)
        for (actor,) in await self.actors(("pledge", "pledge_signed")):
            if actor in code_of:
                pledged[code_of[actor]].add(actor)
        quizzes: Counter[str] = Counter()
        for (actor,) in await self.actors(("quiz", "quiz_completed")):
            if actor in code_of:
                quizzes[code_of[actor]] += 1
        rows: list[dict[str, Any]] = [
            {
                "code": code,
                "kind": kinds.get(code),
                "users": n,
                "pledges": len(pledged[code]),
                "quizzes_completed": quizzes[code],
            }
            for code, n in users.items()
        ]
        rows.sort(key=lambda r: (-r["users"], r["code"]))
        return {"joined": sum(users.values()), "codes": rows}


async def build_report(
    session: AsyncSession, period: Period, *, sandbox: bool = False
) -> dict[str, Any]:
    """Every section, keyed as in :data:`SECTIONS` (simulator users only with ``sandbox``)."""
    report = Report(session, period, sandbox=sandbox)
    return {name: await getattr(report, name)() for name in SECTIONS}


def report_meta(period: Period) -> dict[str, Any]:
    return {
        "since": None if period.since is None else period.since.isoformat(),
        "until": period.until.isoformat(),
        "timezone": "Asia/Jakarta",
        "min_cell": MIN_CELL,
    }


def pseudonym(secret: str, user_id: int) -> str:
    """A user's id in exports: HMAC-SHA256 under a key derived from the secret key for this
    purpose only (stable, not reversible; never the key that signs admin cookies)."""
    from bot.keys import derive

    return hmac.new(
        derive(secret, "pseudonym"), f"user:{user_id}".encode(), hashlib.sha256
    ).hexdigest()


EVENT_COLUMNS = ["created_at", "user", "channel", "event_type", "name", "properties"]


async def export_events(
    session: AsyncSession, period: Period, secret: str, *, sandbox: bool = False
) -> AsyncIterator[list[str]]:
    """The log's rows in ``period``, oldest first, with pseudonymised user ids."""
    conds = [E.created_at < period.end]
    if not sandbox:
        conds.append(E.channel != SIMULATOR)
    if period.start is not None:
        conds.append(E.created_at >= period.start)
    stmt = (
        select(E.created_at, E.user_id, E.channel, E.event_type, E.name, E.properties)
        .where(*conds)
        .order_by(E.created_at, E.id)
        .execution_options(yield_per=5000)
    )
    async for at, uid, channel, event_type, name, props in await session.stream(stmt):
        clean = {k: v for k, v in (props or {}).items() if k != ANON_KEY}
        yield [
            at.isoformat(),
            "" if uid is None else pseudonym(secret, uid),
            channel,
            event_type,
            name,
            json.dumps(clean, ensure_ascii=False, sort_keys=True),
        ]
