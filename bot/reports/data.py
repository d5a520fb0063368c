"""The report's figures: one JSON-ready dict per section, computed with a few grouped queries.

The period and privacy rules live in :mod:`bot.reports.period`, the shared queries in
:mod:`bot.reports.queries` and the event export in :mod:`bot.reports.export`; their names are
re-exported here for the callers.

Dates are Asia/Jakarta (WIB) calendar days, from the IANA zone database (``zoneinfo``; Jakarta
keeps UTC+7 all year); a period is ``since`` 00:00 WIB up to the end of ``until`` (both
inclusive). Every query runs on SQLite and PostgreSQL.

Privacy: no names, usernames, phone numbers or external ids ever leave this module; any regional
cell (a province or kabupaten/kota) counting fewer than :data:`MIN_CELL` users is suppressed: its
count is ``None`` and its row carries ``"suppressed": true``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.timezones import WIB
from bot.db.models import Region, User
from bot.db.models_pledge import Report as ReportRow
from bot.reports.export import EVENT_COLUMNS, export_events, pseudonym
from bot.reports.period import (
    MIN_CELL,
    MIN_SAMPLE,
    SECTIONS,
    SIMULATOR,
    SUPPRESSED,
    DateError,
    Period,
    parse_day,
    rate,
    report_meta,
    suppress,
    today,
)
from bot.reports.queries import E, ReportQueries

__all__ = [
    "EVENT_COLUMNS",
    "MIN_CELL",
    "MIN_SAMPLE",
    "SECTIONS",
    "SIMULATOR",
    "SUPPRESSED",
    "DateError",
    "Period",
    "Report",
    "build_report",
    "export_events",
    "parse_day",
    "pseudonym",
    "report_meta",
    "suppress",
    "today",
]


async def experiment_rows(
    session: AsyncSession, start: datetime | None, end: datetime
) -> list[dict[str, Any]]:
    from bot.experiments.analysis import report_rows

    return await report_rows(session, start, end)


class Report(ReportQueries):
    """Builds the sections for one period from one session."""

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
                "rate": rate(int(c or 0), int(n)),
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
            "completion_rate": rate(completed, started),
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
                    "completion_rate": rate(q["completed"], q["started"]),
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
                "found_rate": rate(int(f or 0), int(n)),
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
