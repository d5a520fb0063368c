"""A volunteer sends two versions of a reminder with a 10% holdout to simulator users, the users
act through the flows, and ``votebot experiment show`` tells which worked and how sure it is."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path

from sqlalchemy import func, select

from bot.broadcast.dispatcher import Dispatcher
from bot.db.models_experiment import HOLDOUT, ExperimentAssignment
from bot.runtime import open_runtime
from tests.broadcast_helpers import RecordingChannel
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.test_cli_broadcast import env, votebot  # noqa: F401  (env is a fixture)

USERS = 120

VARIANT = """---
id: {id}
title: Cek bekal hari-H ({arm})
sources:
  - id: kpu
    title: Komisi Pemilihan Umum (KPU RI)
    url: https://www.kpu.go.id
---
# id
{text}
# en
{text}
"""


def variants(tmp_path: Path) -> str:
    paths = []
    for arm, text in (("a", "Sudah siap? Ketik /info."), ("b", "Cek apa yang dibawa ke TPS!")):
        path = tmp_path / f"ingat-{arm}.md"
        path.write_text(VARIANT.format(id=f"ingat-{arm}", arm=arm, text=text), encoding="utf-8")
        paths.append(str(path))
    return ",".join(paths)


def test_two_reminders_and_a_holdout_tell_which_worked(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = make_settings(env["DATABASE_URL"], VOTEBOT_QUIET_HOURS="off")

    async def onboard() -> None:
        rt = await open_runtime(settings)
        rt.core.flood = None
        try:
            for i in range(USERS):
                d = Dialog(rt.core, user=f"s{i}", channel="telegram")
                await d.say("/start")
                await d.press("English")
                await d.tap("optin:yes")
        finally:
            await rt.close()

    asyncio.run(onboard())
    result = votebot(
        env, "broadcast", "create", "--variants", variants(tmp_path), "--holdout", "10%",
        "--segment", "channel=telegram", "--outcomes", "content,quiz_started", "--window-days", "7",
        "--seed", "5", "--yes",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "variant A: ingat-a" in result.output and "holdout: 10%" in result.output
    assert "per variant" in result.output  # the sample size before sending
    eid = int(re.search(r"Experiment #(\d+) created", result.output)[1])  # type: ignore[index]

    got: dict[str, str] = {}

    async def deliver_and_act() -> dict[str, int]:
        rt = await open_runtime(settings)
        rt.core.flood = None
        try:
            ch = RecordingChannel()
            d = Dispatcher(
                rt, {"telegram": ch}, rates={"telegram": (1000.0, None)}, poll_interval=0.01
            )  # type: ignore[dict-item]
            await d.run(until_done=True)
            got.update(dict(ch.sent))
            n = {"A": 0, "B": 0}
            for i in range(USERS):
                text = got.get(f"s{i}")
                if text is None:
                    continue  # the holdout: nothing arrived
                arm = "B" if "Cek apa yang dibawa" in text else "A"
                n[arm] += 1
                # B's readers mostly follow it; A's rarely do
                if (arm == "B" and n[arm] % 10 != 0) or (arm == "A" and n[arm] % 5 == 0):
                    user = Dialog(rt.core, user=f"s{i}", channel="telegram", language_code="en")
                    await user.say("/info what-to-bring")
                    assert "KTP" in user.text
            # one user of arm B deletes their data: they leave the analysis
            leaver = next(f"s{i}" for i in range(USERS) if "dibawa" in got.get(f"s{i}", ""))
            user = Dialog(rt.core, user=leaver, channel="telegram", language_code="en")
            await user.say("/hapus")
            await user.press("Yes, delete my data")
            async with rt.db.sessions() as s:
                rows = await s.execute(
                    select(ExperimentAssignment.arm, func.count())
                    .where(ExperimentAssignment.experiment_id == eid)
                    .group_by(ExperimentAssignment.arm)
                )
                return {str(a): int(c) for a, c in rows.all()}
        finally:
            await rt.close()

    sizes = asyncio.run(deliver_and_act())
    assert sum(sizes.values()) == USERS - 1 and sizes[HOLDOUT] >= 5
    assert len(got) == sizes["A"] + sizes["B"] + 1  # everyone but the holdout (and the leaver)

    shown = votebot(env, "experiment", "show", str(eid))
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "Variant B raised pages or answers opened by" in out
    assert "the holdout shows the broadcast itself matters" in out
    assert "Provisional until every window closes" in out and "not final" in out
    data = json.loads(votebot(env, "experiment", "show", str(eid), "--format", "json").output)
    arms = {a["arm"]: a for a in data["arms"]}
    assert arms["B"]["outcomes"]["content"]["users"] > arms["A"]["outcomes"]["content"]["users"]
    assert arms[HOLDOUT]["outcomes"]["content"]["users"] == 0 and arms[HOLDOUT]["reached"] is None
    assert arms["B"]["reached"] == sizes["B"]
    table = votebot(env, "experiment", "show", str(eid), "--format", "csv").output
    assert table.startswith("kind,outcome,arm,against")
    users = votebot(env, "experiment", "show", str(eid), "--format", "csv", "--users").output
    rows = list(csv.DictReader(io.StringIO(users)))
    assert len(rows) == USERS - 1
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["user"]) for r in rows)  # pseudonymised
    assert not re.search(r"\bs\d+\b", users)
    report = json.loads(votebot(env, "report", "--format", "json").output)
    figures = [r for r in report["broadcasts"]["experiments"] if r["outcome"] == "content"]
    assert {r["arm"] for r in figures} == {"A", "B", HOLDOUT}
    b_row = next(r for r in figures if r["arm"] == "B")
    assert b_row["vs_holdout_points"] > 0 and b_row["ci_low"] > 0 and not b_row["final"]
    assert "experiments" in votebot(env, "report").output
    listing = votebot(env, "experiment", "list").output
    assert f"#{eid}" in listing and "open" in listing
    size = votebot(env, "experiment", "size", "--base-rate", "10", "--effect", "5").output
    assert "between two variants" in size and "recipients in the segment" in size
    bad = votebot(env, "broadcast", "create", "--segment", "all", "--yes")
    assert bad.exit_code == 2 and "--file or --variants" in bad.output
