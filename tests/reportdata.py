"""Known report figures, made the way production makes them: people talking to the bot.

Nothing here writes a log row or a field itself. Fourteen people onboard through the core (as
Telegram or WhatsApp users), save their area with a real TPS look-up, take real quizzes from
``content/`` (right or wrong answers chosen on purpose), sign and withdraw the pledge, look up
TPS, file ``/lapor`` reports and arrive with referral codes; an operator's broadcast goes out
through the real dispatcher to a recording channel that refuses some recipients. Regions come
from the regions importer (two provinces), TPS from the sample file (their rows only).

The report counts by Jakarta day and period, so each step runs at a chosen instant with
``time_machine.travel(..., tick=True)``: ``datetime.now`` (the only clock the code reads for
``created_at``) returns that instant and moves on in real time, so timestamps inside a step
still increase. The script below is the single source of every figure in :data:`EXPECTED`; the
figures are worked out by hand from it (see the comments there).
"""

from __future__ import annotations

import asyncio
import copy
import io
import re
import sqlite3
import tempfile
from collections.abc import Collection, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import time_machine
from sqlalchemy import Integer
from sqlalchemy.engine import make_url

from bot import ROOT
from bot.broadcast.dispatcher import Dispatcher
from bot.channels.base import PermanentError, Unreachable
from bot.core.broadcasts import create_broadcast
from bot.core.quiz.content import get_quiz
from bot.core.segments import parse_segment
from bot.core.timezones import WIB
from bot.db import pledge_repo, repo
from bot.db.models_quiz import QuizAttempt
from bot.db.schema import load_models
from bot.runtime import Runtime
from bot.tps.importer import import_tps_file
from bot.tps.regions_data import import_regions
from tests.broadcast_helpers import RecordingChannel
from tests.dialog import Dialog

SINCE, UNTIL = "2024-02-01", "2024-02-10"
PROVINCES = ["DKI Jakarta", "Bali"]
SAMPLE = ROOT / "content" / "tps" / "sample.csv"
#: What the bot calls the two provinces and the kabupaten/kota used below.
BALI, JAKARTA = "Bali", "Daerah Khusus Ibukota Jakarta"
GIANYAR, JAKSEL = "Kabupaten Gianyar", "Kota Administrasi Jakarta Selatan"
UBUD = "Ubud (Ubud, Kabupaten Gianyar)"  # postcode 80571 covers 8 kelurahan: pick one
PELIATAN = "Peliatan (Ubud, Kabupaten Gianyar)"
MAS = "Mas (Ubud, Kabupaten Gianyar)"  # no TPS in the sample
#: Stands for Ana's personal referral code (random) in EXPECTED; see :func:`expected`.
ANA_CODE = "<Ana's code>"

LABELS = {
    "id": {
        "language": "Bahasa Indonesia",
        "yes": "Ya, ingatkan aku",
        "no": "Nanti dulu",
        "save": "Simpan daerahku",
        "my_area": "Daerahku",
        "sign": "Ikut tanda tangan",
        "skip": "Lewati",
        "withdraw": "Tarik tanda tanganku",
        "withdraw_yes": "Ya, tarik",
        "remind": "Ingatkan aku di hari H",
        "retry": "Ulangi",
        "money": "Dikasih uang/barang",
        "promise": "Dijanjikan imbalan",
        "unknown": "Nggak tahu",
        "cancel": "Batal",
        "full": "Ya, simpan lengkap",
        "anonymous": "Nggak, catatan anonim aja",
    },
    "en": {
        "language": "English",
        "yes": "Yes, remind me",
        "no": "Not now",
        "save": "Save as my area",
        "my_area": "My area",
        "sign": "Sign the pledge",
        "skip": "Skip",
    },
}


def wib(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00").replace(tzinfo=WIB)


@contextmanager
def at(day: str, hour: int = 10, minute: int = 0) -> Iterator[None]:
    """Run the steps inside at this Jakarta time (the clock then ticks on from it)."""
    with time_machine.travel(wib(day, hour, minute), tick=True):
        yield


@dataclass(frozen=True)
class Seeded:
    id: int
    channel: str
    external_id: str


class Person:
    """One user and their chat; ``locale`` None: they never choose a language."""

    def __init__(self, runtime: Runtime, n: int, channel: str, locale: str | None) -> None:
        self.n, self.locale = n, locale
        self.d = Dialog(
            runtime.core, user=f"ext-{n}-628123", channel=channel, language_code=locale or "id"
        )
        self.labels = LABELS[locale or "id"]

    async def say(self, text: str) -> None:
        await self.d.say(text)

    async def press(self, what: str) -> None:
        """Press a button by its key in LABELS, or by its own label."""
        await self.d.press(self.labels.get(what, what))

    async def arrive(self, first: str = "/start", *, opt_in: bool = False) -> None:
        await self.say(first)
        if self.locale is not None:
            await self.press(LABELS[self.locale]["language"])
            await self.press("yes" if opt_in else "no")

    async def save_area(self, postcode: str, kelurahan: str | None = None) -> None:
        """Look up the TPS by postcode (picking the kelurahan if it has several); save it."""
        await self.say(f"/tps {postcode}")
        if kelurahan is not None:
            await self.press(kelurahan)
        await self.press("save")

    async def sign(self, name: str | None = None) -> None:
        await self.say("/janji")
        await self.press("sign")
        if name is None:
            await self.press("skip")
        else:
            await self.say(name)
        if self.labels["skip"] in self.d.buttons:  # no saved area: it asks for the kabupaten
            await self.press("skip")

    async def quiz(self, quiz_id: str, *, wrong: Collection[str] = (), answers: int = 10) -> None:
        """Take a quiz from the list: answer ``answers`` questions, wrongly those in ``wrong``."""
        quiz = get_quiz(self.d.core.content, quiz_id, self.locale or "id")
        assert quiz is not None, quiz_id
        await self.say("/kuis")
        await self.press(quiz.meta.title)
        await self.answer(answers, wrong)

    async def answer(self, n: int, wrong: Collection[str] = ()) -> None:
        for _ in range(n):
            question_id, choices = await self.choices()
            await self.d.tap(choices[question_id not in wrong])

    async def choices(self) -> tuple[str, dict[bool, str]]:
        """The question on screen and a button for a right and a wrong answer."""
        found: dict[bool, str] = {}
        question_id = ""
        async with self.d.core.db.transaction() as s:
            for p in self.d.payloads:
                if not p.startswith("qa:"):
                    continue
                _, attempt_id, index, option = p.split(":")
                attempt = await s.get(QuizAttempt, int(attempt_id))
                assert attempt is not None
                question_id = attempt.question_ids[int(index)]
                quiz = get_quiz(self.d.core.content, attempt.quiz_id, "id")
                assert quiz is not None
                question = quiz.question(question_id)
                assert question is not None
                found.setdefault(question.options[int(option)].correct, p)
        assert len(found) == 2, self.d.text
        return question_id, found

    async def report(self, kind: str, place: str, kabupaten: str, *, full: bool) -> None:
        await self.say("/lapor")
        await self.press(kind)
        await self.say("Amplop 50 ribu dari tim sukses")
        await self.say("Kemarin jam 8 malam")
        await self.say(place)
        await self.press(kabupaten)
        await self.press("unknown")
        await self.press("skip")  # no evidence
        await self.press("full" if full else "anonymous")


async def load_places(runtime: Runtime) -> None:
    """Two provinces' regions (as ``votebot regions import`` does) and their sample TPS."""
    async with runtime.db.transaction() as s:
        await import_regions(s, provinces=PROVINCES)
    with tempfile.TemporaryDirectory() as tmp:
        lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
        path = Path(tmp) / "tps.csv"
        path.write_text(
            "".join(lines[:1] + [x for x in lines[1:] if x.startswith(("DKI", "Bali"))]),
            encoding="utf-8",
        )
        async with runtime.db.transaction() as s:
            done = await import_tps_file(s, path)
    assert done.errors == [] and done.result.added == 6


async def send_broadcast(runtime: Runtime) -> None:
    """An operator's broadcast to everyone who agreed, sent by the real dispatcher.

    The recording channel refuses three recipients: two errors and one user who blocked the bot.
    """
    async with runtime.db.transaction() as s:
        await create_broadcast(
            s,
            runtime.settings,
            title="Cek DPT",
            texts={"id": "Sudah cek DPT?", "en": "Checked the voter list?"},
            segment=parse_segment("all"),
            creator=None,  # the command line, like ``votebot broadcast create``
        )
    telegram, whatsapp = RecordingChannel(), RecordingChannel()
    telegram.fail = {
        "ext-5-628123": PermanentError("timeout"),
        "ext-6-628123": PermanentError("bad_number"),
        "ext-7-628123": Unreachable("blocked"),
    }
    fast: dict[str, tuple[float | None, float | None]] = {
        "telegram": (1000.0, None),
        "whatsapp": (1000.0, None),
    }
    channels = {"telegram": telegram, "whatsapp": whatsapp}
    await Dispatcher(runtime, channels, rates=fast, poll_interval=0.01).run(until_done=True)
    assert sorted(telegram.recipients) == ["ext-2-628123", "ext-3-628123", "ext-4-628123"]
    assert whatsapp.sent == []


#: Per backend: the database the script made first in this test session, and what it returned.
_MADE: dict[str, Any] = {}


def _sqlite_path(runtime: Runtime) -> str | None:
    url = make_url(runtime.settings.database_url)
    return url.database if url.get_backend_name() == "sqlite" else None


def _copy_sqlite(source: str, target: str) -> None:
    """A page-by-page copy with SQLite's backup API (safe while the target's pool is idle)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


async def seed(runtime: Runtime) -> dict[str, Any]:
    """Run the script; returns the users (u1…u14) and Ana's referral code.

    The script runs once per backend and test session: later calls get a copy of the database
    it made (the same rows the flows wrote: SQLite's backup API, PostgreSQL's binary COPY of
    every table), so each report test does not pay for ~260 messages again.
    """
    path = _sqlite_path(runtime)
    backend = "sqlite" if path is not None else "postgresql"
    made = _MADE.get(backend)
    if made is not None:
        if path is not None:
            await asyncio.to_thread(_copy_sqlite, made["file"], path)
        else:
            await _restore_postgresql(runtime, made["tables"])
        return dict(made["seeded"])
    seeded = await run_script(runtime)
    if path is not None:
        file = Path(tempfile.mkdtemp(prefix="votebot-reportdata-")) / "seeded.sqlite3"
        await asyncio.to_thread(_copy_sqlite, path, str(file))
        _MADE[backend] = {"file": str(file), "seeded": seeded}
    else:
        _MADE[backend] = {"tables": await _dump_postgresql(runtime), "seeded": seeded}
    return dict(seeded)


async def _raw(session: Any) -> Any:
    """The session's asyncpg connection."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def _dump_postgresql(runtime: Runtime) -> list[tuple[str, bytes]]:
    out = []
    async with runtime.db.transaction() as s:
        apg = await _raw(s)
        for table in load_models().sorted_tables:
            buf = io.BytesIO()
            await apg.copy_from_table(table.name, output=buf, format="binary")
            out.append((table.name, buf.getvalue()))
    return out


async def _restore_postgresql(runtime: Runtime, tables: list[tuple[str, bytes]]) -> None:
    """Into the test's empty database (conftest truncates it), then move each id sequence on."""
    async with runtime.db.transaction() as s:
        apg = await _raw(s)
        for name, data in tables:
            await apg.copy_to_table(name, source=io.BytesIO(data), format="binary")
        for table in load_models().sorted_tables:
            if "id" in table.c and isinstance(table.c.id.type, Integer):
                await apg.execute(
                    "SELECT setval(pg_get_serial_sequence($1, 'id')::regclass, max(id)) "
                    f'FROM "{table.name}" HAVING max(id) IS NOT NULL '
                    "AND pg_get_serial_sequence($1, 'id') IS NOT NULL",
                    table.name,
                )


async def run_script(runtime: Runtime) -> dict[str, Any]:
    await load_places(runtime)
    flood, runtime.core.flood = runtime.core.flood, None  # nobody here types faster than a person
    try:
        codes = await script(runtime)
    finally:
        runtime.core.flood = flood
    users: dict[int, Seeded] = {}
    async with runtime.db.transaction() as s:
        for i, person in cast(runtime).items():
            user = await repo.get_user(s, person.d.ref)
            assert user is not None
            users[i] = Seeded(user.id, user.channel, user.external_id)
    return {"users": users, **codes}


def cast(runtime: Runtime) -> dict[int, Person]:
    """u1–u8 speak Indonesian, u9–u11 English, u12–u14 never choose; u11–u14 use WhatsApp."""
    return {
        i: Person(
            runtime,
            i,
            "telegram" if i <= 10 else "whatsapp",
            "id" if i <= 8 else ("en" if i <= 11 else None),
        )
        for i in range(1, 15)
    }


async def script(runtime: Runtime) -> dict[str, str]:
    u = cast(runtime)

    # ---- before the period (nothing here counts, except users, monthly actives, certificate)
    with at("2024-01-10"):
        async with runtime.db.transaction() as s:  # as `votebot referral create` does
            await pledge_repo.create_code(s, "Kampus 1", "school", "KAMPUS1")
    with at("2024-01-20"):
        await u[14].say("halo")  # is asked for a language and never picks one
        await u[13].arrive()  # never picks a language either, but looks up the TPS
        await u[13].save_area("12110")  # one kelurahan: Selong, Jakarta Selatan
    with at("2024-01-25"):
        await u[6].arrive(opt_in=True)
        await u[6].save_area("80571", UBUD)
        for quiz_id in ("voting-basics", "at-the-tps", "money-politics", "spot-a-hoax"):
            await u[6].quiz(quiz_id)  # every core quiz, all right

    # ---- the period: 1–10 February 2024 (Jakarta days)
    with at("2024-02-01", 5):  # 05:00 WIB is still 31 January in UTC
        await u[1].arrive("/start ref_KAMPUS1")
        await u[1].save_area("80571", UBUD)
        await u[1].sign("Name1")
    with at("2024-02-01"):
        await u[2].arrive("/start ref_KAMPUS1", opt_in=True)
        await u[2].save_area("80571", UBUD)
        await u[2].sign()
        await u[2].press("remind")
    with at("2024-02-02"):
        for i in (3, 4, 5, 7):
            await u[i].arrive(opt_in=True)
            await u[i].save_area("80571", PELIATAN if i in (3, 4) else UBUD)
            await u[i].sign()
        await u[3].press("remind")
    with at("2024-02-03"):
        await u[8].arrive()
        await u[8].save_area("80571", UBUD)
        await u[8].sign()
        await u[9].arrive()
        await u[9].save_area("80571", PELIATAN)
        await u[9].sign("Ana")
        ana = re.search(r"ref ([A-Z0-9]+)", u[9].d.text)
        assert ana is not None, u[9].d.text
        await u[6].sign()
        await u[7].say("/janji")
        await u[7].press("withdraw")
        await u[7].press("withdraw_yes")
        # voting-basics: u2 misses three and retries them; u4 gets all; u1, u7, u8 stop early
        await u[2].quiz("voting-basics", wrong={"who-may-vote", "tni-polri", "dpk-hours"})
        await u[2].press("retry")
        await u[2].answer(3)
        await u[4].quiz("voting-basics")
        await u[1].quiz("voting-basics", wrong={"who-may-vote"}, answers=2)
        await u[7].quiz("voting-basics", wrong={"who-may-vote"}, answers=1)
        await u[8].quiz("voting-basics", answers=1)
    with at("2024-02-04"):
        await u[10].arrive(f"ref {ana.group(1)}")  # the message Ana forwarded says "ref CODE"
        await u[10].save_area("80571", UBUD)
        await u[10].sign()
        await u[11].arrive()
        await u[11].save_area("80571", UBUD)
        await u[11].sign()
        await u[5].quiz("money-politics", wrong={"serangan-fajar"}, answers=2)
        await u[6].say("/sertifikat")
        await u[6].say("Sari Dewi")
        assert u[6].d.replies[-1].image is not None
    with at("2024-02-05"):
        await u[12].arrive()
        await u[12].save_area("12110")
        await u[12].sign()
        await u[13].sign()
        await u[14].sign()  # no area: the pledge has no kabupaten
        await u[7].sign()  # signs again
    with at("2024-02-06"):
        await u[3].say("/tps 99999")  # an unknown postcode
        await u[5].say("/tps 80571")
        await u[5].press(MAS)  # a kelurahan with no TPS data
        await u[4].d.location(-8.5069, 115.2625)  # next to the Ubud TPS
        await u[9].say("/tps Peliatan")
        for i in (1, 2):
            await u[i].say("/tps")
            await u[i].press("my_area")
            await u[i].press("TPS 001")
    with at("2024-02-07"):
        await u[1].say("/lapor")
        await u[1].press("cancel")
        await u[2].report("money", "Gianyar, pasar Ubud", GIANYAR, full=True)
        await u[3].report("money", "Gianyar, balai banjar", GIANYAR, full=False)
        await u[4].report("promise", "Jakarta Selatan, Senayan", JAKSEL, full=True)
    with at("2024-02-08"):
        await send_broadcast(runtime)
    with at("2024-02-10", 20):
        for i in (1, 2, 11):
            await u[i].say("/menu")
    with at("2024-02-11", 6):  # 23:00 UTC on the 10th, but the 11th in Jakarta: after the period
        await u[3].say("/menu")
    return {"ana_code": ana.group(1)}


def expected(seeded: dict[str, Any]) -> dict[str, Any]:
    """:data:`EXPECTED` with Ana's random referral code filled in."""
    out = copy.deepcopy(EXPECTED)
    for row in out["referrals"]["codes"]:
        if row["code"] == ANA_CODE:
            row["code"] = seeded["ana_code"]
    return out


# Worked out by hand from the script above (Jakarta days; the period is 1–10 February).
EXPECTED: dict[str, Any] = {
    "users": {
        "total": 14,  # every account made before the period's end
        "new": 11,  # all but u6 (25 Jan), u13 and u14 (20 Jan); u1 at 05:00 WIB on 1 Feb counts
        # daily: 10 Feb (u1, u2, u11); weekly 4–10 Feb: everyone but u8 (last seen 3 Feb);
        # monthly from 12 Jan: all 14 (u13, u14 wrote on 20 Jan). u3's message on the 11th
        # (still the 10th in UTC) counts nowhere.
        "active": {"daily": 3, "weekly": 13, "monthly": 14},
        "daily_active": [
            {"day": f"2024-02-{d:02d}", "users": n}
            for d, n in enumerate(
                # 1: u1 u2 · 2: u3 u4 u5 u7 · 3: u1 u2 u4 u6 u7 u8 u9 · 4: u5 u6 u10 u11 ·
                # 5: u7 u12 u13 u14 · 6: u1 u2 u3 u4 u5 u9 · 7: u1–u4 · 8, 9: nobody wrote
                # (the broadcast is not a message from them) · 10: u1 u2 u11
                [2, 4, 7, 4, 4, 6, 4, 0, 0, 3],
                start=1,
            )
        ],
        "by_channel": [{"channel": "telegram", "users": 10}, {"channel": "whatsapp", "users": 4}],
        "by_locale": [
            {"locale": "id", "users": 8},
            {"locale": "en", "users": 3},
            {"locale": "(not chosen)", "users": 3},
        ],
        "by_province": [
            {"province": BALI, "users": 11, "suppressed": False},  # u1–u11 saved Ubud/Peliatan
            {"province": JAKARTA, "users": None, "suppressed": True},  # u12, u13: Selong
            {"province": "(not set)", "users": 1, "suppressed": False},  # u14
        ],
    },
    "quizzes": {
        # voting-basics: u2 (full, then "retry the 3 I missed"), u4, u1, u7, u8; money-politics:
        # u5. u6's four quizzes were in January: only the certificate falls in the period.
        "started": 7,
        "completed": 3,  # u2 7/10, u2's retry 3/3, u4 10/10
        "completion_rate": 0.4286,
        "average_score": 6.67,  # (7 + 3 + 10) / 3
        "average_percent": 90.0,  # (70 % + 100 % + 100 %) / 3
        "certificates": 1,
        "by_quiz": [
            {"quiz_id": "money-politics", "started": 1, "completed": 0, "completion_rate": 0.0},
            {"quiz_id": "voting-basics", "started": 6, "completed": 3, "completion_rate": 0.5},
        ],
        # People, not answers: u2's wrong answers were put right in the retry, so they count as
        # right. Only who-may-vote has the 5 answers needed to be ranked first.
        "questions": [
            # u2 (right in the retry), u4, u8 right; u1, u7 wrong
            {
                "quiz_id": "voting-basics",
                "question_id": "who-may-vote",
                "answered": 5,
                "correct": 3,
                "rate": 0.6,
            },
            {
                "quiz_id": "money-politics",
                "question_id": "serangan-fajar",
                "answered": 1,
                "correct": 0,
                "rate": 0.0,
            },  # u5, wrong
            {
                "quiz_id": "voting-basics",
                "question_id": "married-under-17",
                "answered": 3,
                "correct": 3,
                "rate": 1.0,
            },  # u1, u2, u4
            # the rest of voting-basics: only u2 and u4, both right in the end
            *(
                {
                    "quiz_id": "voting-basics",
                    "question_id": q,
                    "answered": 2,
                    "correct": 2,
                    "rate": 1.0,
                }
                for q in (
                    "check-registration",
                    "dpk-hours",
                    "dpk-meaning",
                    "dpt-meaning",
                    "dptb-meaning",
                    "not-on-dpt-first-step",
                    "rights-revoked",
                    "tni-polri",
                )
            ),
            {
                "quiz_id": "money-politics",
                "question_id": "not-only-cash",
                "answered": 1,
                "correct": 1,
                "rate": 1.0,
            },  # u5, right
        ],
    },
    "pledges": {
        # 1 Feb u1 u2 · 2 Feb u3 u4 u5 u7 · 3 Feb u6 u8 u9 (u7 withdraws) · 4 Feb u10 u11 ·
        # 5 Feb u12 u13 u14 and u7 again
        "total": 15,
        "withdrawn": 1,
        "net": 14,
        "viewed": 16,  # every /janji: once each, and u7 twice more (to withdraw, to sign again)
        "reminder_opt_ins": 2,  # u2, u3
        "by_province": [
            {"province": BALI, "pledges": 12, "suppressed": False},  # u1–u11 and u7 again
            {"province": JAKARTA, "pledges": None, "suppressed": True},  # u12, u13
            {"province": "(unknown)", "pledges": 1, "suppressed": False},  # u14: no area
        ],
        "by_kabupaten": [
            {"province": BALI, "kabupaten": GIANYAR, "pledges": 12, "suppressed": False},
            {"province": JAKARTA, "kabupaten": JAKSEL, "pledges": None, "suppressed": True},
        ],
        "per_day": [
            {"day": "2024-02-01", "signed": 2, "withdrawn": 0},
            {"day": "2024-02-02", "signed": 4, "withdrawn": 0},
            {"day": "2024-02-03", "signed": 3, "withdrawn": 1},
            {"day": "2024-02-04", "signed": 2, "withdrawn": 0},
            {"day": "2024-02-05", "signed": 4, "withdrawn": 0},
        ],
    },
    "tps": {
        # postcode: the 11 areas saved in the period (all with TPS), 99999 (unknown), Mas (no
        # TPS data); location: u4 next to Ubud; name: u9's "Peliatan". u6's and u13's January
        # look-ups and saves are outside the period; "my area" opens no new look-up.
        "lookups": 15,
        "found": 13,
        "viewed": 2,  # u1, u2 opened TPS 001
        "regions_saved": 11,
        "by_method": [
            {"method": "postcode", "lookups": 13, "found": 11, "found_rate": 0.8462},
            {"method": "location", "lookups": 1, "found": 1, "found_rate": 1.0},
            {"method": "name", "lookups": 1, "found": 1, "found_rate": 1.0},
        ],
    },
    "reports": {
        "started": 4,  # u1 (cancelled), u2, u3, u4
        "completed": 3,
        "with_consent": 2,  # u2, u4
        "by_category": [{"category": "money", "reports": 2}, {"category": "promise", "reports": 1}],
        "by_province": [
            {"province": BALI, "reports": None, "suppressed": True},
            {"province": JAKARTA, "reports": None, "suppressed": True},
        ],
        "by_kabupaten": [
            {"province": BALI, "kabupaten": GIANYAR, "reports": None, "suppressed": True},
            {"province": JAKARTA, "kabupaten": JAKSEL, "reports": None, "suppressed": True},
        ],
    },
    "broadcasts": {
        # To the six who said yes at onboarding (u2–u7): u5 timeout, u6 bad number, u7 blocked.
        # WhatsApp read receipts carry no broadcast id (production never writes one), so
        # "delivered" and "read" stay 0: no flow can make them.
        "created": 1,
        "sent": 3,
        "failed": 2,
        "blocked": 1,
        "delivered": 0,
        "read": 0,
        "failed_by_reason": [
            {"reason": "bad_number", "failed": 1},
            {"reason": "timeout", "failed": 1},
        ],
        "by_broadcast": [
            {
                "broadcast_id": "1",
                "audience": "6",  # the log keeps the audience's size
                "sent": 3,
                "failed": 2,
                "blocked": 1,
                "delivered": 0,
                "read": 0,
            },
        ],
        "experiments": [],
    },
    "referrals": {
        "joined": 3,
        "codes": [
            # u1, u2 by the school's link; both pledged; u2 finished a quiz and its retry
            {"code": "KAMPUS1", "kind": "school", "users": 2, "pledges": 2, "quizzes_completed": 2},
            # u10, by the "ref CODE" in the message Ana (u9) shared; u10 pledged
            {"code": ANA_CODE, "kind": "user", "users": 1, "pledges": 1, "quizzes_completed": 0},
        ],
    },
}
