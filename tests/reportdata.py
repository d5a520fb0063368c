"""A hand-built engagement log with known figures, for the report, CLI and dashboard tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import pledge_repo, repo
from bot.db.models import Region, User

SINCE, UNTIL = "2024-02-01", "2024-02-10"


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


async def seed(session: AsyncSession) -> dict[str, Any]:
    """14 users (u1…u14) and a log whose report figures are written out in the tests."""
    jabar = Region(level="province", source_id=32, name="Jawa Barat", name_key="jawa barat")
    bali = Region(level="province", source_id=51, name="Bali", name_key="bali")
    session.add_all([jabar, bali])
    await session.flush()
    jabar.province_id, bali.province_id = jabar.id, bali.id
    bandung = Region(
        level="kabupaten",
        source_id=3273,
        name="Kota Bandung",
        name_key="bandung",
        parent_id=jabar.id,
        province_id=jabar.id,
    )
    denpasar = Region(
        level="kabupaten",
        source_id=5171,
        name="Kota Denpasar",
        name_key="denpasar",
        parent_id=bali.id,
        province_id=bali.id,
    )
    session.add_all([bandung, denpasar])
    await session.flush()
    bandung.kabupaten_id, denpasar.kabupaten_id = bandung.id, denpasar.id

    users: dict[int, User] = {}
    for i in range(1, 15):
        day = "2024-01-20" if i > 12 else f"2024-02-{1 + i % 9:02d}"
        users[i] = User(
            channel="telegram" if i <= 10 else "whatsapp",
            external_id=f"ext-{i}-628123",
            locale="id" if i <= 8 else ("en" if i <= 11 else None),
            language_code="id",
            created_at=at(day),
            last_seen_at=at(day),
            opted_in=False,
            opt_in_asked=False,
            reachable=True,
            region_id=bandung.id if i <= 11 else (denpasar.id if i <= 13 else None),
            display_name=f"Name{i}",
        )
    session.add_all(users.values())
    await session.flush()

    async def ev(i: int, event_type: str, name: str, day: str, **props: Any) -> None:
        u = users[i]
        await repo.log_event(
            session,
            user_id=u.id,
            channel=u.channel,
            event_type=event_type,
            name=name,
            properties=props,
            at=at(day),
        )

    for i, u in users.items():
        await ev(i, "user", "created", u.created_at.date().isoformat())
    for i in (1, 1, 2, 3, 4, 5):
        await ev(i, "message", "text", "2024-02-10")
    for i in (6, 7, 8):
        await ev(i, "message", "button", "2024-02-05")
    await ev(9, "message", "command", "2024-01-25")
    await ev(10, "message", "text", "2024-02-11")  # after the period

    for i, quiz in ((1, "q-a"), (2, "q-a"), (4, "q-a"), (5, "q-b")):
        await ev(i, "quiz", "quiz_started", "2024-02-03", quiz_id=quiz, attempt_id=i, mode="solo")
    await ev(6, "quiz", "quiz_started", "2024-01-30", quiz_id="q-a", attempt_id=6, mode="solo")
    await ev(
        2, "quiz", "quiz_completed", "2024-02-03", quiz_id="q-a", attempt_id=2, score=3, total=5
    )
    await ev(
        4, "quiz", "quiz_completed", "2024-02-04", quiz_id="q-a", attempt_id=4, score=4, total=5
    )
    await ev(4, "quiz", "certificate_issued", "2024-02-04", quiz_id="q-a")
    answers = [("q-a", "q1", c) for c in (True, False, False, False)]
    answers += [("q-a", "q2", True), ("q-a", "q2", True)]
    answers += [("q-b", "q1", c) for c in (True, False, False)]
    for n, (quiz, question, correct) in enumerate(answers):
        await ev(
            1 + n % 5,
            "quiz",
            "question_answered",
            "2024-02-03",
            quiz_id=quiz,
            question_id=question,
            option=1,
            correct=correct,
            seconds=7,
        )
    await ev(
        1,
        "quiz",
        "question_answered",
        "2024-01-02",
        quiz_id="q-a",
        question_id="q2",
        option=0,
        correct=False,
        seconds=3,
    )  # before the period

    for i in range(1, 13):
        await ev(i, "pledge", "pledge_signed", f"2024-02-{1 + i % 3:02d}", kabupaten_id=bandung.id)
    for i in (13, 14, 13):
        await ev(i, "pledge", "pledge_signed", "2024-02-02", kabupaten_id=denpasar.id)
    await ev(5, "pledge", "pledge_signed", "2024-02-02")
    await ev(6, "pledge", "pledge_signed", "2024-02-03")
    await ev(7, "pledge", "pledge_withdrawn", "2024-02-03")
    await ev(7, "pledge", "pledge_viewed", "2024-02-03")

    for i, method, found in (
        (1, "postcode", True),
        (2, "postcode", True),
        (3, "postcode", False),
        (4, "location", True),
    ):
        await ev(i, "tps", "tps_lookup", "2024-02-06", method=method, found=found)
    await ev(1, "tps", "tps_viewed", "2024-02-06")
    await ev(2, "tps", "tps_viewed", "2024-02-06")

    for i in (1, 2, 3, 4):
        await ev(i, "report", "report_started", "2024-02-07")
    # As /lapor writes them: the report row (type, place, day) and a log row with no user.
    for category, kabupaten, consent in (
        ("cash", bandung, True),
        ("cash", bandung, False),
        ("goods", denpasar, True),
    ):
        await pledge_repo.add_report(
            session,
            category=category,
            kabupaten_id=kabupaten.id,
            reported_on=at("2024-02-07").date(),
            details={"what": "x"} if consent else None,
        )
        await repo.log_event(
            session,
            user_id=None,
            channel="telegram",
            event_type="report",
            name="report_completed",
            at=at("2024-02-07"),
        )

    await ev(1, "broadcast", "broadcast_created", "2024-02-08", broadcast_id=7, audience="all")
    for i, status, reason in (
        (2, "sent", None),
        (3, "sent", None),
        (4, "sent", None),
        (5, "failed", "timeout"),
        (6, "failed", "bad_number"),
        (7, "blocked", "blocked"),
    ):
        await ev(
            i, "broadcast", "delivery", "2024-02-08", broadcast_id=7, status=status, reason=reason
        )
    for i, status in ((2, "delivered"), (3, "delivered"), (2, "read")):
        await ev(i, "whatsapp", "status", "2024-02-09", status=status, broadcast_id=7)
    await ev(3, "whatsapp", "status", "2024-02-09", status="read")  # not a broadcast

    await ev(1, "referral", "referral_joined", "2024-02-02", code="KAMPUS1", code_kind="school")
    await ev(2, "referral", "referral_joined", "2024-02-02", code="KAMPUS1", code_kind="school")
    await ev(3, "referral", "referral_joined", "2024-02-02", code="ANA", code_kind="user")
    await session.flush()
    return {"users": users, "bandung": bandung.id, "denpasar": denpasar.id}


EXPECTED: dict[str, Any] = {
    "users": {
        "total": 14,
        "new": 12,
        "active": {"daily": 5, "weekly": 8, "monthly": 9},
        "daily_active": [
            {"day": f"2024-02-{d:02d}", "users": {5: 3, 10: 5}.get(d, 0)} for d in range(1, 11)
        ],
        "by_channel": [{"channel": "telegram", "users": 10}, {"channel": "whatsapp", "users": 4}],
        "by_locale": [
            {"locale": "id", "users": 8},
            {"locale": "en", "users": 3},
            {"locale": "(not chosen)", "users": 3},
        ],
        "by_province": [
            {"province": "Jawa Barat", "users": 11, "suppressed": False},
            {"province": "Bali", "users": None, "suppressed": True},
            {"province": "(not set)", "users": 1, "suppressed": False},
        ],
    },
    "quizzes": {
        "started": 4,
        "completed": 2,
        "completion_rate": 0.5,
        "average_score": 3.5,
        "average_percent": 70.0,
        "certificates": 1,
        "by_quiz": [
            {"quiz_id": "q-a", "started": 3, "completed": 2, "completion_rate": 0.6667},
            {"quiz_id": "q-b", "started": 1, "completed": 0, "completion_rate": 0.0},
        ],
        "questions": [
            {"quiz_id": "q-a", "question_id": "q1", "answered": 4, "correct": 1, "rate": 0.25},
            {"quiz_id": "q-b", "question_id": "q1", "answered": 3, "correct": 1, "rate": 0.3333},
            {"quiz_id": "q-a", "question_id": "q2", "answered": 2, "correct": 2, "rate": 1.0},
        ],
    },
    "pledges": {
        "total": 17,
        "withdrawn": 1,
        "net": 16,
        "viewed": 1,
        "reminder_opt_ins": 0,
        "by_province": [
            {"province": "Jawa Barat", "pledges": 12, "suppressed": False},
            {"province": "Bali", "pledges": None, "suppressed": True},
            {"province": "(unknown)", "pledges": 2, "suppressed": False},
        ],
        "by_kabupaten": [
            {
                "province": "Jawa Barat",
                "kabupaten": "Kota Bandung",
                "pledges": 12,
                "suppressed": False,
            },
            {"province": "Bali", "kabupaten": "Kota Denpasar", "pledges": None, "suppressed": True},
        ],
        "per_day": [
            {"day": "2024-02-01", "signed": 4, "withdrawn": 0},
            {"day": "2024-02-02", "signed": 8, "withdrawn": 0},
            {"day": "2024-02-03", "signed": 5, "withdrawn": 1},
        ],
    },
    "tps": {
        "lookups": 4,
        "found": 3,
        "viewed": 2,
        "regions_saved": 0,
        "by_method": [
            {"method": "postcode", "lookups": 3, "found": 2, "found_rate": 0.6667},
            {"method": "location", "lookups": 1, "found": 1, "found_rate": 1.0},
        ],
    },
    "reports": {
        "started": 4,
        "completed": 3,
        "with_consent": 2,
        "by_category": [{"category": "cash", "reports": 2}, {"category": "goods", "reports": 1}],
        "by_province": [
            {"province": "Bali", "reports": None, "suppressed": True},
            {"province": "Jawa Barat", "reports": None, "suppressed": True},
        ],
        "by_kabupaten": [
            {"province": "Bali", "kabupaten": "Kota Denpasar", "reports": None, "suppressed": True},
            {
                "province": "Jawa Barat",
                "kabupaten": "Kota Bandung",
                "reports": None,
                "suppressed": True,
            },
        ],
    },
    "broadcasts": {
        "created": 1,
        "sent": 3,
        "failed": 2,
        "blocked": 1,
        "delivered": 2,
        "read": 1,
        "failed_by_reason": [
            {"reason": "bad_number", "failed": 1},
            {"reason": "timeout", "failed": 1},
        ],
        "by_broadcast": [
            {
                "broadcast_id": "7",
                "audience": "all",
                "sent": 3,
                "failed": 2,
                "blocked": 1,
                "delivered": 2,
                "read": 1,
            },
        ],
        "experiments": [],
    },
    "referrals": {
        "joined": 3,
        "codes": [
            {"code": "KAMPUS1", "kind": "school", "users": 2, "pledges": 2, "quizzes_completed": 1},
            {"code": "ANA", "kind": "user", "users": 1, "pledges": 1, "quizzes_completed": 0},
        ],
    },
}
