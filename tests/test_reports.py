"""Report figures from data the flows made (exact numbers worked out by hand), privacy floor
and deletion."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from bot.cli import cli
from bot.config import Settings
from bot.core.events import UserRef
from bot.core.privacy import erase_user
from bot.db import repo
from bot.db.models import ConversationState, EngagementEvent, User
from bot.db.schema import load_models
from bot.reports.data import (
    SECTIONS,
    DateError,
    Period,
    build_report,
    pseudonym,
    suppress,
)
from bot.reports.render import section_csv, text_report
from bot.runtime import Runtime
from tests.reportdata import EXPECTED, GIANYAR, JAKARTA, SINCE, UNTIL, expected, seed

PERIOD = Period.parse(SINCE, UNTIL)


async def report_of(runtime: Runtime, period: Period = PERIOD) -> dict[str, Any]:
    async with runtime.db.transaction() as session:
        return await build_report(session, period)


async def test_every_figure_matches_what_the_flows_logged(runtime: Runtime) -> None:
    want = expected(await seed(runtime))
    report = await report_of(runtime)
    assert list(report) == list(SECTIONS)
    for name in SECTIONS:
        assert report[name] == want[name], name


async def test_json_from_the_cli_is_one_object_with_the_seven_keys(
    runtime: Runtime, settings: Settings
) -> None:
    seeded = await seed(runtime)
    env = {"DATABASE_URL": settings.database_url, "VOTEBOT_SECRET_KEY": "report-cli-secret-4f9a1c"}
    args = ["report", "--since", SINCE, "--until", UNTIL, "--format", "json"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"users", "quizzes", "pledges", "tps", "reports", "broadcasts", "referrals"}
    assert data == expected(seeded)


async def test_cli_table_csv_out_and_charts(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    await seed(runtime)
    env = {"DATABASE_URL": settings.database_url, "VOTEBOT_SECRET_KEY": "report-cli-secret-4f9a1c"}
    runner = CliRunner()
    period = ["--since", SINCE, "--until", UNTIL]

    def invoke(*args: str) -> Any:
        return runner.invoke(cli, ["report", *period, *args], env=env)

    table = await asyncio.to_thread(invoke)
    assert table.exit_code == 0, table.output
    assert "== Quizzes ==" in table.output and GIANYAR in table.output
    assert "<10" in table.output

    out = tmp_path / "csv"
    done = await asyncio.to_thread(invoke, "--format", "csv", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{s}.csv" for s in SECTIONS)
    rows = list(csv.reader((out / "pledges.csv").open(encoding="utf-8")))
    assert rows[0] == ["table", "key", "metric", "value"]
    assert ["summary", "", "total", "15"] in rows
    assert ["by_province", JAKARTA, "pledges", "<10"] in rows
    assert ["by_kabupaten", f"Bali / {GIANYAR}", "pledges", "12"] in rows
    questions = list(csv.reader((out / "quizzes.csv").open(encoding="utf-8")))
    assert ["questions", "voting-basics / who-may-vote", "rate", "0.6"] in questions

    no_dir = await asyncio.to_thread(invoke, "--format", "csv")
    assert no_dir.exit_code == 2 and "--out DIR" in no_dir.output

    json_file = tmp_path / "r.json"
    wrote = await asyncio.to_thread(invoke, "--format", "json", "--out", str(json_file))
    assert wrote.exit_code == 0
    assert json.loads(json_file.read_text())["pledges"]["total"] == 15

    charts = tmp_path / "charts"
    drawn = await asyncio.to_thread(invoke, "--charts", str(charts))
    assert drawn.exit_code == 0, drawn.output
    names = sorted(p.name for p in charts.iterdir())
    assert names == sorted(
        [
            "daily_active_users.png",
            "quiz_funnel.png",
            "hardest_questions.png",
            "pledges_by_province.png",
        ]
    )
    for p in charts.iterdir():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
    english = tmp_path / "charts-en"
    drawn = await asyncio.to_thread(invoke, "--charts", str(english), "--lang", "en")
    assert drawn.exit_code == 0, drawn.output
    # The same figures with other words: the English PNGs differ from the Indonesian ones.
    for p in english.iterdir():
        assert p.read_bytes() != (charts / p.name).read_bytes(), p.name
    unknown = await asyncio.to_thread(invoke, "--charts", str(english), "--lang", "xx")
    assert unknown.exit_code == 2 and "--lang 'xx'" in unknown.output


async def test_events_export_pseudonymises_ids_and_never_shows_personal_data(
    runtime: Runtime, settings: Settings
) -> None:
    seeded = await seed(runtime)
    u1 = seeded["users"][1]
    env = {"DATABASE_URL": settings.database_url, "VOTEBOT_SECRET_KEY": runtime.secret_key}
    args = ["report", "--events", "--since", SINCE, "--until", UNTIL]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == ["created_at", "user", "channel", "event_type", "name", "properties"]
    assert len(rows) == await count_events(runtime, PERIOD)
    ids = {r["user"] for r in rows}
    assert pseudonym(runtime.secret_key, u1.id) in ids
    assert all(len(i) == 64 for i in ids if i)  # "" marks rows that belong to nobody
    for forbidden in ("ext-", "Name1", "628123"):
        assert forbidden not in result.output
    assert str(u1.id) not in ids


async def count_events(runtime: Runtime, period: Period) -> int:
    assert period.start is not None
    async with runtime.db.transaction() as s:
        return len(
            (
                await s.scalars(
                    select(EngagementEvent.id).where(
                        EngagementEvent.created_at >= period.start,
                        EngagementEvent.created_at < period.end,
                    )
                )
            ).all()
        )


def test_privacy_floor_suppresses_cells_under_ten() -> None:
    assert suppress(0) == (0, False)
    assert suppress(1) == (None, True)
    assert suppress(9) == (None, True)
    assert suppress(10) == (10, False)
    section = {"by_province": [{"province": "Bali", "users": None, "suppressed": True}]}
    assert "Bali,users,<10" in section_csv(section)
    meta = {"since": None, "until": "2024-01-01", "min_cell": 10}
    assert "<10" in text_report({"users": section}, meta)


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2024-13-01", None, "--since: '2024-13-01' is not a date; use YYYY-MM-DD"),
        (None, "yesterday", "--until: 'yesterday' is not a date"),
        ("2024-02-10", "2024-02-01", "--since 2024-02-10 is after --until 2024-02-01"),
    ],
)
def test_bad_dates_are_explained(since: str | None, until: str | None, message: str) -> None:
    with pytest.raises(DateError, match="^" + message.replace("(", r"\(")):
        Period.parse(since, until)
    args = (
        ["report"] + (["--since", since] if since else []) + (["--until", until] if until else [])
    )
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


async def dump_everything(runtime: Runtime) -> str:
    """Every row of every table as text (to look for personal data anywhere)."""
    out = []
    async with runtime.db.transaction() as s:
        for table in load_models().sorted_tables:
            for row in (await s.execute(select(table))).all():
                out.append(f"{table.name}: {tuple(row)}")
    return "\n".join(out)


async def test_deleting_a_user_removes_personal_data_and_keeps_totals(runtime: Runtime) -> None:
    seeded = await seed(runtime)
    u1 = seeded["users"][1]
    uid, ref = u1.id, UserRef(u1.channel, u1.external_id)
    async with runtime.db.transaction() as session:
        assert await session.get(ConversationState, uid) is not None  # u1's chat left one
    before = await report_of(runtime)
    assert "ext-1-628123" in await dump_everything(runtime)

    async with runtime.db.transaction() as session:
        user = await repo.get_user(session, ref)
        assert user is not None
        anonymised = await erase_user(session, user)
    assert anonymised > 10

    after = await report_of(runtime)
    for name in SECTIONS:
        if name in ("users", "referrals", "quizzes"):
            continue
        assert after[name] == before[name], name  # event counts are history: they stay
    # Quiz attempts are history; per-question figures count people, so u1's answers leave them.
    quiz_before, quiz_after = dict(before["quizzes"]), dict(after["quizzes"])
    q_before, q_after = quiz_before.pop("questions"), quiz_after.pop("questions")
    assert quiz_after == quiz_before
    assert sum(q["answered"] for q in q_before) - sum(q["answered"] for q in q_after) == 2
    # Deletion withdraws the person from standing figures: their referral's pledge is gone,
    # while the join itself stays counted (u1 came with KAMPUS1 and pledged).
    assert after["referrals"]["joined"] == before["referrals"]["joined"] == 3
    assert [c["pledges"] for c in after["referrals"]["codes"]] == [1, 1]
    assert [c["pledges"] for c in before["referrals"]["codes"]] == [2, 1]
    users_before, users_after = dict(before["users"]), dict(after["users"])
    # Only the current users' locale and saved area lose the deleted user.
    assert users_after.pop("by_locale") == [
        {"locale": "id", "users": 7},
        {"locale": "en", "users": 3},
        {"locale": "(not chosen)", "users": 3},
    ]
    assert users_after.pop("by_province")[0] == {
        "province": "Bali",
        "users": 10,
        "suppressed": False,
    }
    users_before.pop("by_locale"), users_before.pop("by_province")
    # Distinct people count only those who still have an account: u1 wrote on the last day, so
    # was active in every span, on five days of the period (1, 3, 6, 7 and 10 February).
    active_before, active_after = users_before.pop("active"), users_after.pop("active")
    assert {k: v - 1 for k, v in active_before.items()} == active_after
    daily_before, daily_after = users_before.pop("daily_active"), users_after.pop("daily_active")
    lost = {d["day"][-2:] for d, e in zip(daily_before, daily_after, strict=True) if d != e}
    assert lost == {"01", "03", "06", "07", "10"}
    assert sum(d["users"] for d in daily_before) - sum(d["users"] for d in daily_after) == 5
    # One definition of a user everywhere: an account that still exists. u1 leaves every total.
    for key in ("total", "new"):
        assert users_after.pop(key) == users_before.pop(key) - 1
    total = sum(c["users"] for c in users_after["by_channel"])
    assert total == sum(r["users"] for r in after["users"]["by_locale"]) == after["users"]["total"]
    users_before.pop("by_channel"), users_after.pop("by_channel")
    assert users_after == users_before

    async with runtime.db.transaction() as s:
        assert await s.get(User, uid) is None
        assert await s.get(ConversationState, uid) is None
        assert await s.scalar(select(EngagementEvent).where(EngagementEvent.user_id == uid)) is None
        deleted = (
            await s.scalars(select(EngagementEvent).where(EngagementEvent.event_type == "privacy"))
        ).all()
        assert [(e.name, e.user_id, e.properties) for e in deleted] == [("user_deleted", None, {})]
    everything = await dump_everything(runtime)
    assert "ext-1-628123" not in everything
    assert "'Name1'" not in everything
    assert "ext-2-628123" in everything  # others are untouched


async def test_deletion_in_chat_with_confirmation(runtime: Runtime) -> None:
    from tests.dialog import Dialog

    d = Dialog(runtime.core, user="forget-me", language_code="en")
    await d.say("/start")
    await d.press("English")
    await d.say("/hapus")
    assert "delete your data" in d.text
    await d.press("Cancel")
    assert "nothing was deleted" in d.text
    await d.say("/hapus")
    await d.press("Yes, delete my data")
    assert "your data is deleted" in d.text
    async with runtime.db.transaction() as s:
        assert await repo.get_user(s, d.ref) is None
        rows = (await s.scalars(select(EngagementEvent))).all()
        assert rows and all(r.user_id is None for r in rows)
        assert await s.scalar(select(EngagementEvent).where(text("1=1")).limit(1)) is not None
    report = await report_of(runtime, Period.parse(None, None))
    assert report["users"]["total"] == 0  # a user is an account that still exists
    assert report["users"]["by_channel"] == [] and report["users"]["by_locale"] == []
    assert report["users"]["active"]["daily"] == 0  # but nobody is an active person now
    # An old confirmation button does nothing once the flow is over.
    await d.say("/start")
    await d.tap("forget:yes")
    assert "earlier conversation" in d.text


async def test_user_delete_command_asks_first(runtime: Runtime, settings: Settings) -> None:
    seeded = await seed(runtime)
    u2 = seeded["users"][2]
    ref = f"{u2.channel}:{u2.external_id}"
    env = {"DATABASE_URL": settings.database_url, "VOTEBOT_SECRET_KEY": runtime.secret_key}

    def invoke(args: list[str], stdin: str = "") -> Any:
        return CliRunner().invoke(cli, ["user", "delete", *args], input=stdin, env=env)

    kept = await asyncio.to_thread(invoke, [ref], "n\n")
    assert kept.exit_code == 1 and "Aborted" in kept.output
    async with runtime.db.transaction() as s:
        assert await repo.get_user(s, UserRef.parse(ref)) is not None
    done = await asyncio.to_thread(invoke, [ref], "y\n")
    assert done.exit_code == 0, done.output
    assert "log rows anonymised" in done.output
    async with runtime.db.transaction() as s:
        assert await repo.get_user(s, UserRef.parse(ref)) is None
    again = await asyncio.to_thread(invoke, [ref, "--yes"])
    assert again.exit_code == 1 and "No user" in again.output
    bad = await asyncio.to_thread(invoke, ["no-colon", "--yes"])
    assert bad.exit_code == 2 and "expected CHANNEL:ID" in bad.output
    after = await report_of(runtime)
    assert after["users"]["total"] == EXPECTED["users"]["total"] - 1  # accounts that exist
    # u2 joined with KAMPUS1 and pledged: the join stays in history, the pledge is withdrawn.
    assert after["referrals"]["joined"] == EXPECTED["referrals"]["joined"]
    assert [c["pledges"] for c in after["referrals"]["codes"]] == [1, 1]


async def test_deleting_ones_data_withdraws_a_standing_pledge(runtime: Runtime) -> None:
    from tests.dialog import Dialog

    for who in ("sari", "budi"):
        d = Dialog(runtime.core, user=who, language_code="en")
        await d.say("/start")
        await d.press("English")
        await d.press("Not now")
        await d.say("/janji")
        await d.press("Sign the pledge")
        await d.press("Skip")
        await d.press("Skip")
    before = (await report_of(runtime, Period.parse(None, None)))["pledges"]
    assert (before["total"], before["net"]) == (2, 2)
    await d.say("/hapus")  # budi deletes everything
    await d.press("Yes, delete my data")
    after = (await report_of(runtime, Period.parse(None, None)))["pledges"]
    assert (after["total"], after["withdrawn"], after["net"]) == (2, 1, 1)
