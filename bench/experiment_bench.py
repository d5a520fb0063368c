"""Broadcast experiments: the analysis's speed on SQLite and the 95% interval's coverage.

    .venv/bin/python bench/experiment_bench.py [--users N] [--events N] [--runs N] [--keep]

1. Speed: 200,000 recipients in 3 arms (variants A and B, a 10% holdout) and 1,000,000 log
   events over 30 days in a fresh, migrated SQLite file; times the whole analysis (assigned,
   reached and six outcomes per arm, the intervals and the verdict). Target: ≤ 2 s.
2. Coverage: 1,000 seeded simulated experiments with a known true uplift (variant 12%, holdout
   9%, 2,000 and 500 users): how often the 95% interval from the analysis covers the true
   difference. Target: 93.5–96.5%.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models_experiment import Experiment
from bot.experiments import analysis as an
from bot.experiments import service

START = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
WINDOW = 7
OUTCOMES = ["content", "quiz_started", "quiz_finished", "pledge", "referral", "link"]
MIX = [
    ("message", "text", 300),
    ("message", "button", 250),
    ("info", "page_viewed", 80),
    ("faq", "shown", 40),
    ("quiz", "quiz_started", 30),
    ("quiz", "question_answered", 150),
    ("quiz", "quiz_completed", 20),
    ("pledge", "pledge_signed", 12),
    ("tps", "tps_lookup", 25),
]


def fmt(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(path: Path, n_users: int, n_events: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.executemany(
        "INSERT INTO users (id, channel, external_id, locale, created_at, last_seen_at, opted_in,"
        " opt_in_asked, reachable) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            (u, "telegram", f"x{u}", "id", fmt(START), fmt(START), True, True, True)
            for u in range(1, n_users + 1)
        ),
    )
    for bid, arm in ((1, "A"), (2, "B")):
        conn.execute(
            "INSERT INTO broadcasts (id, title, texts, segment, status, audience, created_by,"
            " created_at, notified_pct, consent, expires_local) VALUES"
            " (?, ?, '{}', 'all', 'finished', 0, 'cli', ?, 100, 'broadcasts', 0)",
            (bid, f"variant {arm}", fmt(START)),
        )
    arms = [
        {"arm": "A", "broadcast_id": 1, "content_id": "a", "title": "A", "status": "finished"},
        {"arm": "B", "broadcast_id": 2, "content_id": "b", "title": "B", "status": "finished"},
    ]
    conn.execute(
        "INSERT INTO experiments (id, title, segment, seed, holdout, arms, outcomes, window_days,"
        " min_effect, link_url, starts_at, ends_at, created_by, created_at)"
        " VALUES (1, 'bench', 'all', 5, 0.1, ?, ?, ?, 2.0, 'https://kpu.go.id', ?, ?, 'cli', ?)",
        (json.dumps(arms), json.dumps(OUTCOMES), WINDOW, fmt(START),
         fmt(START + timedelta(days=WINDOW + 1)), fmt(START)),
    )  # fmt: skip
    labels = ["A", "B"]
    assignments, outbox = [], []
    send_at: dict[int, datetime] = {}
    for u in range(1, n_users + 1):
        arm = service.arm_of(5, u, labels, 0.1)
        at = START + timedelta(hours=rnd.choice([0, 0, 0, 1, 2]))  # quiet hours per zone
        send_at[u] = at
        bid = None if arm == "holdout" else labels.index(arm) + 1
        tapped = fmt(at + timedelta(hours=3)) if bid and rnd.random() < 0.05 else None
        token = f"t{u}" if bid else None
        assignments.append(
            (1, u, arm, bid, fmt(at), fmt(at + timedelta(days=WINDOW)), token, tapped)
        )
        if bid:
            status = "sent" if rnd.random() < 0.95 else "failed"
            outbox.append((bid, u, "telegram", status, 1, fmt(at), fmt(at)))
    conn.executemany(
        "INSERT INTO experiment_assignments (experiment_id, user_id, arm, broadcast_id, send_at,"
        " until, token, link_tapped_at) VALUES (?,?,?,?,?,?,?,?)",
        assignments,
    )
    conn.executemany(
        "INSERT INTO outbox (broadcast_id, user_id, channel, status, attempts, next_attempt_at,"
        " sent_at) VALUES (?,?,?,?,?,?,?)",
        outbox,
    )
    # personal referral codes for 2% of users and friends who joined through them
    codes = [(c, f"REF{u}", "code", "user", u, fmt(START)) for c, u in
             enumerate(rnd.sample(range(1, n_users + 1), n_users // 50), start=1)]  # fmt: skip
    conn.executemany(
        "INSERT INTO referral_codes (id, code, name, kind, user_id, created_at)"
        " VALUES (?,?,?,?,?,?)",
        codes,
    )
    joined = rnd.sample(range(1, n_users + 1), len(codes))
    conn.executemany(
        "INSERT INTO user_referrals (user_id, code_id, created_at) VALUES (?,?,?)",
        (
            (u, rnd.randrange(1, len(codes) + 1), fmt(START + timedelta(days=rnd.random() * 10)))
            for u in joined
        ),
    )
    names, weights = [(t, n) for t, n, _ in MIX], [w for _, _, w in MIX]
    rows = []
    for etype, name in rnd.choices(names, weights, k=n_events):
        u = rnd.randrange(1, n_users + 1)
        at = START - timedelta(days=10) + timedelta(seconds=rnd.randrange(30 * 86400))
        rows.append((u, "telegram", etype, name, "{}", fmt(at)))
    rows.sort(key=lambda r: r[5])
    conn.executemany(
        "INSERT INTO events (user_id, channel, event_type, name, properties, created_at)"
        " VALUES (?,?,?,?,?,?)",
        rows,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


async def timed(url: str) -> tuple[float, an.Analysis]:
    from bot.config import load_settings

    settings = load_settings(_env_file=None, DATABASE_URL=url, VOTEBOT_PUBLIC_URL="https://x.org")
    db = Database(url)
    try:
        async with db.sessions() as session:
            await session.execute(text("SELECT 1"))
            t0 = time.perf_counter()
            e = await service.get_experiment(session, 1)
            result = await an.analyse(session, e, settings=settings, now=START)
            return time.perf_counter() - t0, result
    finally:
        await db.close()


def coverage(runs: int, seed: int = 11) -> tuple[float, float]:
    """Share of runs whose 95% interval (variant − holdout) covers the true uplift, and the
    share that found it (interval above zero)."""
    rnd = random.Random(seed)
    p_variant, p_holdout, n_variant, n_holdout = 0.12, 0.09, 2000, 500
    true = p_variant - p_holdout
    experiment = Experiment(
        id=1, title="sim", segment="all", seed=0, holdout=0.2,
        arms=[{"arm": "A", "broadcast_id": 1}], outcomes=["pledge"], window_days=7,
        min_effect=3.0, starts_at=START, ends_at=START, created_by="bench",
    )  # fmt: skip
    covered = found = 0
    for _ in range(runs):
        x = sum(rnd.random() < p_variant for _ in range(n_variant))
        y = sum(rnd.random() < p_holdout for _ in range(n_holdout))
        counts = {
            "A": {"assigned": n_variant, "reached": n_variant, "pledge": x},
            "holdout": {"assigned": n_holdout, "reached": 0, "pledge": y},
        }
        result = an.analyse_counts(experiment, counts, now=START)
        d = result.differences[0]
        covered += d.low <= true <= d.high
        found += d.low > 0
    return covered / runs, found / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="experiment-bench-"))
    path = tmp / "bench.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"

    async def migrate() -> None:
        db = Database(url)
        try:
            await upgrade(db)
        finally:
            await db.close()

    asyncio.run(migrate())
    t0 = time.perf_counter()
    generate(path, args.users, args.events)
    print(f"generated {args.users:,} recipients and {args.events:,} events "
          f"in {time.perf_counter() - t0:.1f} s ({path})")  # fmt: skip
    times = []
    result = None
    for _ in range(3):
        seconds, result = asyncio.run(timed(url))
        times.append(seconds)
    assert result is not None
    for a in result.arms:
        rates = ", ".join(f"{o} {a.rate(o):.1%}" for o in result.outcomes)
        print(f"  arm {a.arm:<8} assigned {a.assigned:>7,} reached {a.reached or 0:>7,}  {rates}")
    best = min(times)
    load = os.getloadavg()[0]
    print(f"analysis on SQLite: first {times[0]:.2f} s, best {best:.2f} s of {len(times)} "
          f"(target ≤ 2 s): {'OK' if best <= 2 else 'TOO SLOW'} (load average {load:.1f})")  # fmt: skip
    t0 = time.perf_counter()
    share, power = coverage(args.runs)
    print(f"coverage of the 95% interval over {args.runs:,} simulated experiments "
          f"(true uplift 3.0 points): {share:.1%} (target 93.5–96.5%): "
          f"{'OK' if 0.935 <= share <= 0.965 else 'OUT OF RANGE'}; found the uplift in "
          f"{power:.1%}; {time.perf_counter() - t0:.1f} s")  # fmt: skip
    if not args.keep:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
