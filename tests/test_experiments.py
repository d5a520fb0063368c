"""Broadcast experiments: assignment, the holdout, outcome windows, intervals and warnings."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.broadcast.dispatcher import Dispatcher
from bot.core.segments import parse_segment
from bot.db.models import User, utcnow
from bot.db.models_broadcast import Notification, OutboxRow
from bot.db.models_experiment import HOLDOUT, Experiment, ExperimentAssignment
from bot.experiments import analysis as an
from bot.experiments import service, stats
from bot.runtime import Runtime
from tests.broadcast_helpers import NIGHT, RecordingChannel, add_users
from tests.dialog import Dialog

VARIANTS = [
    service.Variant("Reminder A", {"id": "Versi A", "en": "Version A"}, "rem-a"),
    service.Variant("Reminder B", {"id": "Versi B", "en": "Version B"}, "rem-b"),
]


async def create(runtime: Runtime, **kw: object) -> Experiment:
    kw.setdefault("variants", VARIANTS)
    kw.setdefault("holdout", 0.2)
    kw.setdefault("segment", parse_segment("all"))
    kw.setdefault("outcomes", ["content"])
    kw.setdefault("seed", 7)
    async with runtime.db.transaction() as s:
        e = await service.create_experiment(s, runtime.settings, creator=None, **kw)  # type: ignore[arg-type]
        s.expunge(e)
        return e


async def arms(runtime: Runtime, experiment_id: int) -> dict[int, ExperimentAssignment]:
    async with runtime.db.sessions() as s:
        stmt = select(ExperimentAssignment).where(
            ExperimentAssignment.experiment_id == experiment_id
        )
        return {a.user_id: a for a in (await s.scalars(stmt)).all()}


async def send_all(runtime: Runtime, channels: dict[str, RecordingChannel]) -> None:
    rates: dict[str, tuple[float | None, float | None]] = {n: (1000.0, None) for n in channels}
    d = Dispatcher(runtime, channels, rates=rates, poll_interval=0.01)  # type: ignore[arg-type]
    await d.run(until_done=True)


def test_assignment_is_stable_seeded_and_in_proportion() -> None:
    labels = service.arm_labels(2)
    arms_ = [service.arm_of(11, uid, labels, 0.1) for uid in range(1, 20_001)]
    share = Counter(arms_)
    assert abs(share[HOLDOUT] / 20_000 - 0.10) < 0.01
    assert abs(share["A"] / 20_000 - 0.45) < 0.015
    assert abs(share["B"] / 20_000 - 0.45) < 0.015
    # the same seed gives the same arms; another seed another assignment
    assert arms_ == [service.arm_of(11, uid, labels, 0.1) for uid in range(1, 20_001)]
    other = [service.arm_of(12, uid, labels, 0.1) for uid in range(1, 20_001)]
    assert sum(a != b for a, b in zip(arms_, other, strict=True)) > 8_000
    # a user's arm does not depend on who else is assigned
    assert [service.arm_of(11, uid, labels, 0.1) for uid in range(10_001, 20_001)] == arms_[10_000:]
    assert service.parse_holdout("10%") == pytest.approx(0.1)
    assert service.parse_holdout("0.25") == pytest.approx(0.25)
    with pytest.raises(service.ExperimentError):
        service.parse_holdout("95%")


async def test_the_holdout_receives_nothing_on_any_channel(runtime: Runtime) -> None:
    await add_users(runtime, [f"t{i}" for i in range(40)], locale="id")
    await add_users(runtime, [f"w{i}" for i in range(40)], channel="other", locale="en")
    await add_users(runtime, ["no"], opted_in=False)
    e = await create(runtime, holdout=0.25)
    assigned = await arms(runtime, e.id)
    assert len(assigned) == 80  # the opted-out user is in no arm
    counts = Counter(a.arm for a in assigned.values())
    assert set(counts) == {"A", "B", HOLDOUT} and counts[HOLDOUT] >= 8
    channels = {"test": RecordingChannel(), "other": RecordingChannel()}
    await send_all(runtime, channels)
    async with runtime.db.sessions() as s:
        users = {u.id: u for u in (await s.scalars(select(User))).all()}
        outbox = (await s.scalars(select(OutboxRow))).all()
        notes = (await s.scalars(select(Notification))).all()
    sent = {(name, ext): text for name, ch in channels.items() for ext, text in ch.sent}
    for uid, a in assigned.items():
        key = (users[uid].channel, users[uid].external_id)
        if a.arm == HOLDOUT:
            assert key not in sent
        else:
            assert f"Version {a.arm}" in sent[key] or f"Versi {a.arm}" in sent[key]
    holdout_ids = {uid for uid, a in assigned.items() if a.arm == HOLDOUT}
    assert not holdout_ids & {r.user_id for r in outbox}
    assert not {users[u].external_id for u in holdout_ids} & {n.external_id for n in notes}
    assert len(sent) == 80 - len(holdout_ids)
    # the same seed on the same people gives the same arms
    again = await arms(runtime, (await create(runtime, holdout=0.25)).id)
    assert {u: a.arm for u, a in again.items()} == {u: a.arm for u, a in assigned.items()}


async def test_every_arm_gets_the_same_quiet_hours_send_time(runtime: Runtime) -> None:
    await add_users(runtime, [f"u{i}" for i in range(30)])
    e = await create(runtime, now=NIGHT)  # 23:00 in Jakarta, quiet hours 21-6
    assigned = await arms(runtime, e.id)
    morning = NIGHT + timedelta(hours=7)  # 06:00 WIB
    assert {a.send_at for a in assigned.values()} == {morning}
    assert {a.until for a in assigned.values()} == {morning + timedelta(days=7)}
    assert HOLDOUT in {a.arm for a in assigned.values()}
    assert e.ends_at == morning + timedelta(days=7)


async def test_outcomes_count_only_inside_the_window_and_after_the_send(
    runtime: Runtime,
) -> None:
    users = [Dialog(runtime.core, user=f"d{i}") for i in range(6)]
    for d in users:
        await d.say("/start")
        await d.press("Bahasa Indonesia")
        await d.tap("optin:yes")
    now = utcnow()
    current = await create(runtime, now=now, holdout=0.0)
    later = await create(runtime, scheduled_at=now + timedelta(hours=1), holdout=0.0)
    over = await create(runtime, now=now - timedelta(days=9), holdout=0.0)
    for d in users[:4]:
        await d.say("/info what-to-bring")
        assert "KTP" in d.text
    async with runtime.db.sessions() as s:
        got = {
            e.id: await an.analyse(s, e, settings=runtime.settings) for e in (current, later, over)
        }
    assert sum(a.successes["content"] for a in got[current.id].arms) == 4
    assert sum(a.successes["content"] for a in got[later.id].arms) == 0  # before the send
    assert sum(a.successes["content"] for a in got[over.id].arms) == 0  # window closed
    assert got[over.id].final and not got[current.id].final
    assert got[current.id].verdicts["content"].startswith("Provisional")


def test_the_interval_matches_newcombes_worked_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, example (a): 56/70 against 48/80,
    # hybrid score interval (method 10) for the difference: 0.0524 to 0.3339.
    d = stats.difference("x", "A", 56, 70, HOLDOUT, 48, 80)
    assert d is not None
    assert d.diff == pytest.approx(0.2)
    assert d.low == pytest.approx(0.0524, abs=5e-5)
    assert d.high == pytest.approx(0.3339, abs=5e-5)


def fake_experiment(**kw: object) -> Experiment:
    now = utcnow()
    values: dict[str, object] = {
        "id": 1,
        "title": "t",
        "segment": "all",
        "seed": 1,
        "holdout": 0.1,
        "arms": [{"arm": "A", "broadcast_id": 1}, {"arm": "B", "broadcast_id": 2}],
        "outcomes": ["quiz_finished"],
        "window_days": 7,
        "min_effect": 5.0,
        "starts_at": now - timedelta(days=10),
        "ends_at": now - timedelta(days=1),
        "created_by": "cli",
    }
    values.update(kw)
    return Experiment(**values)


def counts(a: tuple[int, int], b: tuple[int, int], h: tuple[int, int]) -> dict[str, dict[str, int]]:
    return {
        arm: {"assigned": n, "reached": n, "quiz_finished": x}
        for arm, (x, n) in (("A", a), ("B", b), (HOLDOUT, h))
    }


def test_the_verdict_says_which_worked_and_warns_while_too_small() -> None:
    big = an.analyse_counts(fake_experiment(), counts((450, 9000), (729, 9000), (100, 2000)))
    text = big.verdicts["quiz_finished"]
    assert text.startswith("Variant B raised quiz completions by 3.1 points over variant A")
    assert "the holdout shows the broadcast itself matters" in text
    assert big.final and not big.warnings
    small = an.analyse_counts(fake_experiment(), counts((5, 60), (9, 60), (1, 12)))
    assert any(w.startswith("Too small to tell yet") for w in small.warnings)
    assert "no clear difference" in small.verdicts["quiz_finished"]
    n1, n2 = stats.sample_size(0.1, 5.0)
    assert n1 == n2 and 600 < n1 < 750  # about 680 per arm for 10% → 15%


async def test_a_volunteer_starts_a_test_from_chat(runtime: Runtime) -> None:
    await add_users(runtime, [f"s{i}" for i in range(30)])
    d = Dialog(runtime.core, user="vol")
    await d.say("/start")
    await d.press("English")
    await d.tap("optin:no")
    await add_users(runtime, ["vol"], opted_in=False, role="volunteer")
    await d.say("/siaran uji")
    assert "Test two versions" in d.text
    await d.press("Pengingat cek DPT")
    assert "pick version B" in d.text
    await d.press("Only version A")
    await d.press("Finished a quiz")
    await d.press("Everyone subscribed")
    assert "30 subscribers" in d.text and "10% hold-out" in d.text
    assert "may stay unclear" in d.text  # 30 people cannot tell a 5-point change
    await d.press("Start the test")
    assert "Test #" in d.text
    async with runtime.db.sessions() as s:
        e = (await s.scalars(select(Experiment))).one()
        assert e.outcomes == ["quiz_finished"] and e.holdout == pytest.approx(0.1)
        assert e.created_by == "test:vol" and [a["content_id"] for a in e.arms] == ["cek-dpt"]
    normal = Dialog(runtime.core, user="s1")
    await normal.say("/siaran uji")
    assert "cuma bisa dilakukan tim relawan" in normal.text
