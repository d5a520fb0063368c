"""The guarantees' chaos benchmark in one command: inbound, then outbound, then the fleet rate.

    PYTHONPATH=. .venv/bin/python bench/chaos_bench.py [--postgres ADMIN_URL] [--quick]

Runs, one after the other so that no phase loads the machine while another is measured:

1. ``bench/chaos_inbound.py``: 2 workers, 500 users, 20,000 messages on both webhooks, 3 kill -9s;
   prints lost, handled twice, replies re-sent per kill and reply latency p50/p99/max;
2. ``bench/chaos_outbound.py --phases chaos``: a 10,000-recipient broadcast across 2 workers with
   3 kill -9s; prints the sends in flight and the sends made twice at each kill, lost, duplicated;
3. ``bench/chaos_outbound.py --phases rate``: the fleet-wide send rate of 2 workers against a fake
   API answering 429 above 30 msg/s (target ≥ 0.95 of the limit, 0 × 429).

``--postgres`` runs every phase on PostgreSQL (the inbound phase makes and drops a temporary
database there; the outbound phases empty the given database's bot tables first, so give a
database of its own). ``--quick`` shrinks every phase for a smoke run. Each phase is its own
script with more options (``--help``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def phase(title: str, script: str, args: list[str]) -> int:
    print(f"\n=== {title} ===", flush=True)
    started = time.monotonic()
    code = subprocess.call([sys.executable, str(BENCH / script), *args])
    print(f"--- {title}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL (postgresql+asyncpg://…)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    inbound = ["--users", "60", "--messages", "10"] if args.quick else []
    outbound = ["--users", "1000", "--rate-users", "600"] if args.quick else []
    if args.postgres:
        inbound += ["--postgres", args.postgres]
        outbound += ["--database-url", args.postgres]
    codes = [
        phase("inbound: kill -9 mid-burst", "chaos_inbound.py", inbound),
        phase(
            "outbound: kill -9 mid-broadcast", "chaos_outbound.py", [*outbound, "--phases", "chaos"]
        ),
        phase(
            "outbound: fleet-wide send rate", "chaos_outbound.py", [*outbound, "--phases", "rate"]
        ),
    ]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
