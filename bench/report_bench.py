"""Time the full engagement report over 1,000,000 log events from 50,000 users on SQLite.

    .venv/bin/python bench/report_bench.py [--events N] [--users N] [--db PATH] [--keep]

Generates a realistic mix of the events every feature logs (messages, quizzes, TPS lookups,
pledges, reports, broadcasts, referrals) over 90 days, bulk-inserts them into a fresh, migrated
SQLite file, then times ``build_report`` (every section) for all time and for the last 30 days.
Target: ≤ 2 s for the full report on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.reports.data import Period, build_report

DAYS = 90
CHANNELS = ["telegram"] * 6 + ["whatsapp"] * 4
# (event_type, name, weight) for the events after each user's "user/created".
MIX = [
    ("message", "text", 300),
    ("message", "button", 250),
    ("message", "command", 60),
    ("message", "location", 5),
    ("message", "unsupported", 5),
    ("info", "page_viewed", 80),
    ("settings", "language", 10),
    ("settings", "broadcast_opt_in", 10),
    ("fallback", "not_understood", 15),
    ("quiz", "quiz_started", 30),
    ("quiz", "question_answered", 150),
    ("quiz", "quiz_completed", 20),
    ("quiz", "certificate_issued", 8),
    ("tps", "tps_lookup", 25),
    ("tps", "tps_viewed", 15),
    ("tps", "region_saved", 5),
    ("pledge", "pledge_viewed", 10),
    ("pledge", "pledge_signed", 12),
    ("pledge", "pledge_withdrawn", 1),
    ("referral", "referral_joined", 4),
    ("report", "report_started", 2),
    ("report", "report_completed", 1),
    ("broadcast", "delivery", 40),
    ("whatsapp", "status", 25),
]


def fmt(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(path: Path, n_events: int, n_users: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    # 38 provinces × 10 kabupaten.
    regions = []
    kab_ids = []
    rid = 1
    for p in range(38):
        prov = rid
        regions.append((rid, "province", p, f"Provinsi {p}", f"provinsi {p}", None, None, None))
        rid += 1
        for k in range(10):
            regions.append(
                (rid, "kabupaten", p * 100 + k, f"Kab {p}-{k}", f"kab {p} {k}", prov, prov, rid)
            )
            kab_ids.append(rid)
            rid += 1
    conn.executemany(
        "INSERT INTO regions (id, level, source_id, name, name_key, parent_id, province_id,"
        " kabupaten_id) VALUES (?,?,?,?,?,?,?,?)",
        regions,
    )
    users = []
    created = []
    for uid in range(1, n_users + 1):
        at = start + timedelta(seconds=rnd.randrange(DAYS * 86400))
        created.append(at)
        channel = rnd.choice(CHANNELS)
        users.append(
            (
                uid,
                channel,
                f"x{uid}",
                rnd.choice(["id", "id", "id", "en", None]),
                fmt(at),
                fmt(at),
                rnd.random() < 0.5,
                True,
                True,
                rnd.choice(kab_ids) if rnd.random() < 0.4 else None,
            )
        )
    conn.executemany(
        "INSERT INTO users (id, channel, external_id, locale, created_at, last_seen_at, opted_in,"
        " opt_in_asked, reachable, region_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
        users,
    )
    names, weights = [(t, n) for t, n, _ in MIX], [w for _, _, w in MIX]
    rows = []
    for uid in range(1, n_users + 1):
        rows.append((uid, users[uid - 1][1], "user", "created", "{}", fmt(created[uid - 1])))
    end = start + timedelta(days=DAYS)
    for etype, name in rnd.choices(names, weights, k=n_events - n_users):
        uid = rnd.randrange(1, n_users + 1)
        at = created[uid - 1] + (end - created[uid - 1]) * rnd.random()
        props: dict[str, object] = {}
        if etype == "quiz":
            quiz = f"quiz-{rnd.randrange(3)}"
            props = {"quiz_id": quiz, "attempt_id": rnd.randrange(10**6)}
            if name == "question_answered":
                q = rnd.randrange(10)
                props.update(
                    question_id=f"q{q}",
                    option=rnd.randrange(4),
                    correct=rnd.random() < 0.3 + q * 0.06,
                    seconds=rnd.randrange(3, 40),
                )
            elif name == "quiz_completed":
                props.update(score=rnd.randrange(11), total=10)
        elif name == "tps_lookup":
            props = {
                "method": rnd.choice(["postcode", "name", "region", "location"]),
                "found": rnd.random() < 0.8,
            }
        elif name == "pledge_signed" and rnd.random() < 0.9:
            props = {"kabupaten_id": rnd.choice(kab_ids)}
        elif name == "report_completed":
            props = {
                "category": rnd.choice(["cash", "goods", "services", "other"]),
                "kabupaten_id": rnd.choice(kab_ids),
                "consent": rnd.random() < 0.5,
            }
        elif name == "referral_joined":
            props = {"code": f"ref{rnd.randrange(200)}", "code_kind": "user"}
        elif name == "delivery":
            status = rnd.choices(["sent", "failed", "blocked"], [90, 6, 4])[0]
            props = {
                "broadcast_id": rnd.randrange(1, 21),
                "status": status,
                "reason": "timeout" if status == "failed" else None,
            }
        elif etype == "whatsapp":
            props = {
                "status": rnd.choice(["delivered", "read", "failed"]),
                "broadcast_id": rnd.randrange(1, 21),
            }
        elif name == "page_viewed":
            props = {"page": "tps-hours", "section": "basics"}
        rows.append((uid, users[uid - 1][1], etype, name, json.dumps(props), fmt(at)))
    rows.sort(key=lambda r: r[5])
    conn.executemany(
        "INSERT INTO events (user_id, channel, event_type, name, properties, created_at)"
        " VALUES (?,?,?,?,?,?)",
        rows,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


async def migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.close()


async def timed(url: str, period: Period) -> tuple[float, dict[str, object]]:
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.execute(__import__("sqlalchemy").text("SELECT 1"))
            t0 = time.perf_counter()
            report = await build_report(session, period)
            return time.perf_counter() - t0, report
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="votebot-bench-"))
    path = args.db or tmp / "bench.sqlite3"
    path.unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(migrate(url))
    t0 = time.perf_counter()
    generate(path, args.events, args.users)
    print(
        f"generated {args.events:,} events over {args.users:,} users in "
        f"{time.perf_counter() - t0:.1f} s ({path.stat().st_size / 2**20:.0f} MiB)"
    )
    until = datetime(2024, 1, 1, tzinfo=UTC).date() + timedelta(days=DAYS - 1)
    for label, period in (
        ("all time", Period(None, until)),
        ("last 30 days", Period(until - timedelta(days=29), until)),
    ):
        seconds, report = asyncio.run(timed(url, period))
        users = report["users"]
        assert isinstance(users, dict)
        print(
            f"full report, {label}: {seconds:.2f} s "
            f"(users {users['total']:,}, monthly active {users['active']['monthly']:,})"
        )
    if not args.keep and args.db is None:
        path.unlink()
        for extra in tmp.iterdir():
            extra.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
