"""Hot-path throughput: ``votebot serve`` against the bare framework, interleaved in one run.

    PYTHONPATH=. .venv/bin/python bench/throughput_bench.py [--pairs 3] [--users 300] [--steps 8]
        [--postgres postgresql+asyncpg://USER@HOST/DB] [--skip-burst]

For each backend (SQLite in a temporary directory; PostgreSQL in a private database created
through ``--postgres`` and dropped at the end), pairs run A B A B …:

- Telegram: ``votebot serve`` polling a fake Bot API (tests/fake_telegram.py) vs a bare
  python-telegram-bot v22 echo bot polling the same fake;
- WhatsApp: our webhook vs a bare aiohttp handler that answers each message with one Graph
  send, against one fake Graph API (tests/whatsapp_fakes.py).

Each of ``--users`` users runs a closed loop of ``--steps`` messages (a realistic mix: /start, a
menu button, /menu, another button, free text, /kuis, a quiz answer, …), sending the next one as
soon as the reply to the last arrived (300 users keep each one under the flood limit). Measuring
starts when the server is idle after its first answer (start-up work is not charged to updates).
Printed per run: updates/s, CPU ms per update (the server process,
from /proc), SQL statements sent to the driver (BEGIN/COMMIT excluded) and transactions per update
(counted by a listener that only ``VOTEBOT_BENCH_SQL`` turns on), p50/p99 reply latency, RSS, and
per pair the ratio ours ÷ bare. Then, unless ``--skip-burst``, WhatsApp bursts on our webhook:
2,000 messages (one per user) arriving over 20 s (target p99 reply ≤ 2 s) and 2,000 at once
(target: all answered ≤ 15 s).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web

from bot import ROOT
from bot.channels.whatsapp.channel import signature_for
from tests.fake_telegram import FakeBotAPI
from tests.fleet import fleet_env, free_port, scratch_postgres, wa_text
from tests.whatsapp_fakes import APP_SECRET, FakeGraph, webhook_body

#: Bot API methods that count as the reply to an update (not sendChatAction, not the ack).
REPLIES = frozenset(
    {"sendMessage", "editMessageText", "sendPhoto", "sendPoll", "editMessageReplyMarkup"}
)
FREE_TEXT = ["jam brp tps buka", "boleh nyoblos tanpa ektp?", "kalau dikasih uang gimana", "halo"]
HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


async def settled(pid: int, limit: float = 90.0) -> float:
    """Wait until the server is idle after its first answer: start-up work that runs in the
    background (the first start's regions import, index warm-up) is not charged to the updates.
    Idle means under 5% of a core over half a second; returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        before = cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if cpu_seconds(pid) - before < 0.025:
            break
    return time.monotonic() - t0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sql_counts(pid: int, path: Path) -> tuple[int, int]:
    """Ask the server (SIGUSR1) for its statement and transaction counts."""
    if path.exists():
        path.unlink()
    os.kill(pid, signal.SIGUSR1)
    for _ in range(200):
        if path.exists() and path.read_text().strip():
            data = json.loads(path.read_text())
            return int(data["statements"]), int(data["transactions"])
        time.sleep(0.01)
    return 0, 0


class Watched:
    """Reply futures per user: resolved by the first reply that arrives after a send."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[Any]] = {}

    def expect(self, user: str) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[user] = future
        return future

    def arrived(self, user: str, payload: Any) -> None:
        future = self.waiting.pop(user, None)
        if future is not None and not future.done():
            future.set_result(payload)


class BenchBotAPI(FakeBotAPI):
    """The fake Bot API, telling :class:`Watched` about replies."""

    def __init__(self) -> None:
        super().__init__()
        self.watched = Watched()
        # Update ids unique across runs on one database (the bot de-duplicates by update id).
        self._ids = itertools.count(int(time.time() * 1000) % 10**12)

    async def _answer(self, request: web.Request, call: Any) -> web.StreamResponse:
        response = await super()._answer(request, call)
        if call.method in REPLIES and call.chat_id is not None:
            self.watched.arrived(str(call.chat_id), call.callback_data)
        return response

    def trim(self) -> None:
        self.log.clear()


class BenchGraph(FakeGraph):
    def __init__(self) -> None:
        super().__init__()
        self.watched = Watched()

    async def messages(self, request: web.Request) -> web.Response:
        response = await super().messages(request)
        body = self.sent[-1] if self.sent else {}
        ids = []
        interactive = body.get("interactive") or {}
        action = interactive.get("action") or {}
        for button in action.get("buttons") or []:
            ids.append(button.get("reply", {}).get("id"))
        for section in action.get("sections") or []:
            ids.extend(row.get("id") for row in section.get("rows") or [])
        self.watched.arrived(str(body.get("to")), [i for i in ids if i])
        self.sent.clear()
        return response


def script(rng: random.Random, step: int, buttons: list[str]) -> tuple[str, str]:
    """The next message of a user: ("text", text) or ("button", payload)."""
    plan = ["/start", "button", "/menu", "button", "free", "/kuis", "button", "button"]
    kind = plan[step % len(plan)]
    if kind == "button":
        return ("button", rng.choice(buttons)) if buttons else ("text", "/menu")
    if kind == "free":
        return ("text", rng.choice(FREE_TEXT))
    return ("text", kind)


async def closed_loop(
    users: list[str], steps: int, send: Any, watched: Watched
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    done = 0

    async def one(user: str) -> None:
        nonlocal done
        rng = random.Random(user)
        buttons: list[str] = []
        for step in range(steps):
            kind, value = script(rng, step, buttons)
            future = watched.expect(user)
            t0 = time.monotonic()
            await send(user, kind, value)
            try:
                got = await asyncio.wait_for(future, 30)
            except TimeoutError:
                got = []
            latencies.append(time.monotonic() - t0)
            buttons = list(got or [])
            done += 1

    await asyncio.gather(*(one(u) for u in users))
    return done, latencies


def q(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


class Proc:
    """A server subprocess (ours or the bare one)."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log_path = argv, env, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> int:
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        return self.proc.pid

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def run_telegram(
    kind: str, db_url: str, workdir: Path, args: argparse.Namespace, tag: str
) -> dict[str, float]:
    api = BenchBotAPI()
    await api.__aenter__()
    sqlfile = workdir / f"sql-{tag}.json"
    try:
        if kind == "ours":
            env = fleet_env(db_url, telegram_api=api.url, **bench_env(sqlfile))
            env.pop("TELEGRAM_WEBHOOK_URL")
            env.pop("TELEGRAM_WEBHOOK_SECRET")
            env["PORT"], env["HOST"] = str(free_port()), "127.0.0.1"
            argv = [sys.executable, "-m", "bot", "serve"]
        else:
            env = {**os.environ, "BENCH_API": api.url}
            argv = [sys.executable, str(Path(__file__).with_name("bare_servers.py")), "telegram"]
        proc = Proc(argv, env, workdir / f"{tag}.log")
        t_start = time.monotonic()
        pid = await proc.start()
        warm = "999999"
        future = api.watched.expect(warm)
        api.push(api.message_update("/start", int(warm)))
        await asyncio.wait_for(future, 120)
        startup = time.monotonic() - t_start
        base_users = [str(1_000_000 + i) for i in range(args.users)]
        ids = {u: 0 for u in base_users}

        async def send(user: str, kind_: str, value: str) -> None:
            ids[user] += 1
            if kind_ == "button":
                api.push(api.callback_update(value, int(user), message_id=ids[user]))
            else:
                api.push(api.message_update(value, int(user)))

        await settled(pid)
        cpu0 = cpu_seconds(pid)
        stm0, tx0 = sql_counts(pid, sqlfile) if kind == "ours" else (0, 0)
        t0 = time.monotonic()
        done, lat = await closed_loop(base_users, args.steps, send, api.watched)
        elapsed = time.monotonic() - t0
        cpu1 = cpu_seconds(pid)
        stm1, tx1 = sql_counts(pid, sqlfile) if kind == "ours" else (0, 0)
        rss = rss_mb(pid)
        await proc.stop()
    finally:
        await api.__aexit__(None, None, None)
    return {
        "ups": done / elapsed,
        "cpu_ms": (cpu1 - cpu0) * 1000 / done,
        "stm": (stm1 - stm0) / done,
        "tx": (tx1 - tx0) / done,
        "p50": statistics.median(lat) * 1000,
        "p99": q(lat, 0.99) * 1000,
        "rss": rss,
        "startup": startup,
    }


def bench_env(sqlfile: Path) -> dict[str, str]:
    return {
        "VOTEBOT_BENCH_SQL": str(sqlfile),
        "VOTEBOT_RATE_TELEGRAM": "10000",
        "VOTEBOT_RATE_TELEGRAM_PER_CHAT": "100",
        "VOTEBOT_RATE_WHATSAPP": "10000",
    }


async def wa_post(http: aiohttp.ClientSession, base: str, message: dict[str, Any]) -> int:
    raw = json.dumps(webhook_body([message], wa_id=message["from"])).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature_for(APP_SECRET, raw),
    }
    async with http.post(f"{base}/whatsapp", data=raw, headers=headers) as resp:
        await resp.read()
        return resp.status


def wa_button(wa_id: str, message_id: str, payload: str) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": message_id,
        "timestamp": str(int(time.time())),
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": payload, "title": "x"}},
    }


async def run_whatsapp(
    kind: str, db_url: str, workdir: Path, args: argparse.Namespace, tag: str, burst: bool = False
) -> dict[str, float]:
    graph = BenchGraph()
    await graph.start()
    sqlfile = workdir / f"sql-{tag}.json"
    port = free_port()
    if kind == "ours":
        env = fleet_env(db_url, graph_api=graph.url, **bench_env(sqlfile))
        env["PORT"], env["HOST"] = str(port), "127.0.0.1"
        argv = [sys.executable, "-m", "bot", "serve"]
    else:
        env = {**os.environ, "BENCH_API": graph.url, "PORT": str(port)}
        argv = [sys.executable, str(Path(__file__).with_name("bare_servers.py")), "whatsapp"]
    proc = Proc(argv, env, workdir / f"{tag}.log")
    base = f"http://127.0.0.1:{port}"
    counter = iter(range(10**9))
    result: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2000)) as http:
            t_start = time.monotonic()
            pid = await proc.start()
            warm = "62899999999"
            while True:
                try:
                    future = graph.watched.expect(warm)
                    await wa_post(http, base, wa_text(warm, f"wamid.warm.{tag}", "/start"))
                    await asyncio.wait_for(future, 5)
                    break
                except (aiohttp.ClientError, OSError, TimeoutError):
                    await asyncio.sleep(0.2)
                    if time.monotonic() - t_start > 120:
                        raise
            result["startup"] = time.monotonic() - t_start

            async def send(user: str, kind_: str, value: str) -> None:
                mid = f"wamid.b.{tag}.{next(counter)}"
                message = (
                    wa_button(user, mid, value) if kind_ == "button" else wa_text(user, mid, value)
                )
                await wa_post(http, base, message)

            await settled(pid)
            cpu0 = cpu_seconds(pid)
            stm0, tx0 = sql_counts(pid, sqlfile) if kind == "ours" else (0, 0)
            if burst:
                await wa_bursts(http, base, graph, tag, result)
                return result
            users = [f"6281{i:08d}" for i in range(args.users)]
            t0 = time.monotonic()
            done, lat = await closed_loop(users, args.steps, send, graph.watched)
            elapsed = time.monotonic() - t0
            cpu1 = cpu_seconds(pid)
            stm1, tx1 = sql_counts(pid, sqlfile) if kind == "ours" else (0, 0)
            result.update(
                ups=done / elapsed,
                cpu_ms=(cpu1 - cpu0) * 1000 / done,
                stm=(stm1 - stm0) / done,
                tx=(tx1 - tx0) / done,
                p50=statistics.median(lat) * 1000,
                p99=q(lat, 0.99) * 1000,
                rss=rss_mb(pid),
            )
            return result
    finally:
        await proc.stop()
        await graph.close()


async def wa_bursts(
    http: aiohttp.ClientSession, base: str, graph: BenchGraph, tag: str, result: dict[str, float]
) -> None:
    """2,000 messages over 20 s (p99 latency), then 2,000 at once (time to drain)."""
    for name, spacing in (("paced", 0.01), ("once", 0.0)):
        await wa_burst(http, base, graph, f"{tag}.{name}", name, spacing, result)


async def wa_burst(
    http: aiohttp.ClientSession,
    base: str,
    graph: BenchGraph,
    tag: str,
    name: str,
    spacing: float,
    result: dict[str, float],
) -> None:
    users = [f"628{name == 'once':d}{i:08d}" for i in range(2000)]
    sent_at: dict[str, float] = {}
    answered: dict[str, float] = {}

    async def one(user: str, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        future = graph.watched.expect(user)
        sent_at[user] = time.monotonic()
        delay = 0.5
        # Meta redelivers a post answered 503 (no slot in VOTEBOT_INBOUND_WAIT), with backoff.
        while await wa_post(http, base, wa_text(user, f"wamid.{tag}.{user}", "/menu")) != 200:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
        try:
            await asyncio.wait_for(future, 120)
        except TimeoutError:
            return
        answered[user] = time.monotonic()

    t0 = time.monotonic() + 0.2
    await asyncio.gather(*(one(u, t0 + i * spacing) for i, u in enumerate(users)))
    lat = [answered[u] - sent_at[u] for u in answered]
    result[f"{name}_answered"] = len(answered)
    result[f"{name}_p50"] = statistics.median(lat) * 1000 if lat else 0
    result[f"{name}_p99"] = q(lat, 0.99) * 1000
    result[f"{name}_drain"] = (max(answered.values()) - t0) if answered else 0


# --------------------------------------------------------------------------- driver


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def line(tag: str, r: dict[str, float]) -> str:
    return (
        f"  {tag:<14} {r['ups']:7.1f} upd/s  CPU {r['cpu_ms']:5.1f} ms/upd  "
        f"SQL {r['stm']:4.1f} stm/upd  {r['tx']:4.2f} tx/upd  "
        f"p50 {r['p50']:6.0f} ms  p99 {r['p99']:6.0f} ms  RSS {r['rss']:5.0f} MB  "
        f"first answer {r['startup']:.2f} s"
    )


async def backend(args: argparse.Namespace, db_url: str, workdir: Path, label: str) -> None:
    print(f"== {label}", flush=True)
    for channel, runner in (("telegram", run_telegram), ("whatsapp", run_whatsapp)):
        ratios = []
        for pair in range(args.pairs):
            ours = await runner("ours", db_url, workdir, args, f"{label}-{channel}-o{pair}")
            bare = await runner("bare", db_url, workdir, args, f"{label}-{channel}-b{pair}")
            ratios.append(ours["ups"] / bare["ups"])
            print(f" {channel} pair {pair + 1}: ratio {ratios[-1]:.2f}", flush=True)
            print(line("ours", ours), flush=True)
            print(line("bare", bare), flush=True)
        if ratios:  # --pairs 0: the bursts only
            print(f" {channel}: median ratio {statistics.median(ratios):.2f}", flush=True)
    if not args.skip_burst:
        r = await run_whatsapp("ours", db_url, workdir, args, f"{label}-burst", burst=True)
        print(
            f" whatsapp 2,000 over 20 s: answered {r['paced_answered']:.0f}, "
            f"p50 {r['paced_p50']:.0f} ms, p99 {r['paced_p99']:.0f} ms (target ≤ 2000)\n"
            f" whatsapp 2,000 at once: answered {r['once_answered']:.0f}, "
            f"drained in {r['once_drain']:.1f} s (target ≤ 15), p99 {r['once_p99']:.0f} ms",
            flush=True,
        )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3, help="0: only the WhatsApp bursts")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--steps", type=int, default=8, help="messages per user")
    parser.add_argument("--postgres", help="an admin URL; a private database is made there")
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    print(f"load average {loadavg()} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        workdir = Path(tmp)
        await backend(args, f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}", workdir, "SQLite")
        if args.postgres and not args.sqlite_only:
            async with scratch_postgres(args.postgres, "votebot_tp") as url:
                await backend(args, url, workdir, "PostgreSQL")
    print(f"load average {loadavg()} at the end", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
