"""Consent is one model: each proactive kind has its consent, STOP withdraws all of them, and
``/langganan`` shows each and turns each back on. Every fact comes from the flows users drive."""

from __future__ import annotations

from bot.broadcast.dispatcher import Dispatcher
from bot.broadcast.reminders import create_due_reminders
from bot.core import consent, notifications
from bot.core.events import UserRef
from bot.core.replies import Reply
from bot.core.segments import audience_size, parse_segment
from bot.db.models import User
from bot.runtime import Runtime
from tests.broadcast_helpers import Clock, RecordingChannel, new_broadcast
from tests.dialog import Dialog
from tests.helpers_pledge import rows
from tests.test_pledge import sign_quickly
from tests.test_reminders import EVENING_DUE


async def size(runtime: Runtime, expression: str, kind: str = consent.BROADCASTS) -> int:
    async with runtime.db.sessions() as s:
        found = await audience_size(
            s, parse_segment(expression), default_locale="id", consent_kind=kind
        )
    return sum(found.values())


async def newcomer(runtime: Runtime, user: str, *, updates: bool) -> Dialog:
    d = Dialog(runtime.core, user=user, language_code="en")
    await d.say("/start")
    await d.press("English")
    await d.press("Yes, remind me" if updates else "Not now")
    return d


async def held(runtime: Runtime, external_id: str) -> dict[str, bool]:
    users = [u for u in await rows(runtime, User) if u.external_id == external_id]
    async with runtime.db.sessions() as s:
        return await consent.held(s, users[0].id)


async def test_remind_me_is_its_own_consent_not_general_updates(runtime: Runtime) -> None:
    d = await newcomer(runtime, "quiet", updates=False)
    await sign_quickly(d)
    await d.press("Remind me on voting day")
    assert await size(runtime, "all") == 0
    assert await size(runtime, "reminder", consent.VOTING_DAY) == 1
    assert await held(runtime, "quiet") == {
        "broadcasts": False,
        "voting_day": True,
        "poll_results": False,
    }


async def test_the_mute_button_removes_the_user_from_reminders(runtime: Runtime) -> None:
    d = await newcomer(runtime, "a", updates=True)
    await sign_quickly(d)
    await d.press("Remind me on voting day")
    assert await size(runtime, "reminder", consent.VOTING_DAY) == 1
    assert await size(runtime, "reminder") == 1  # a general broadcast to reminder holders
    await d.press("No voting-day reminder")
    assert await size(runtime, "reminder", consent.VOTING_DAY) == 0
    assert await size(runtime, "reminder") == 0
    assert await size(runtime, "all") == 1  # general updates stay as they were


async def test_withdrawing_the_pledge_removes_the_reminder(runtime: Runtime) -> None:
    d = await newcomer(runtime, "a", updates=True)
    await sign_quickly(d)
    await d.press("Remind me on voting day")
    await d.say("/janji")
    await d.press("Withdraw my signature")
    await d.press("Yes, withdraw")
    assert await size(runtime, "reminder", consent.VOTING_DAY) == 0
    assert await size(runtime, "pledged") == 0
    await sign_quickly(d)  # signing again does not bring the reminder back unasked
    assert await size(runtime, "pledged") == 1
    assert await size(runtime, "reminder", consent.VOTING_DAY) == 0


async def test_stop_stops_every_proactive_kind(runtime: Runtime) -> None:
    clock = Clock(EVENING_DUE)
    runtime.core.clock = clock
    d = Dialog(runtime.core, user="a", channel="telegram", language_code="en")
    await d.say("/start")
    await d.press("English")
    await d.press("Yes, remind me")
    await sign_quickly(d)
    await d.press("Remind me on voting day")
    assert await held(runtime, "a") == {
        "broadcasts": True,
        "voting_day": True,
        "poll_results": False,
    }
    # one of each proactive kind is queued ...
    [reminder] = await create_due_reminders(runtime, EVENING_DUE)
    update = await new_broadcast(runtime, now=clock.now)
    async with runtime.db.transaction() as s:
        ref = UserRef("telegram", "a")
        notice = [Reply("Your answer is ready")]
        assert await notifications.enqueue(s, ref, notice, clock.now, consent=consent.VOTING_DAY)
    # ... and then the user says STOP.
    await d.say("STOP")
    assert "won't send you reminders" in d.text
    assert await held(runtime, "a") == {
        "broadcasts": False,
        "voting_day": False,
        "poll_results": False,
    }
    ch = RecordingChannel()
    await Dispatcher(
        runtime,
        {"telegram": ch},
        clock=clock,
        rates={"telegram": (1000.0, None)},
        poll_interval=0.01,
    ).run(until_done=True)
    assert [ext for ext, _ in ch.sent if ext == "a"] == []
    assert reminder != update
    for kind in consent.KINDS:
        async with runtime.db.sessions() as s:
            user_id = next(u.id for u in await rows(runtime, User) if u.channel == "telegram")
            assert not await consent.may_send(s, user_id, kind)


async def test_langganan_shows_each_consent_and_turns_each_back_on(runtime: Runtime) -> None:
    d = await newcomer(runtime, "a", updates=True)
    await sign_quickly(d)
    await d.press("Remind me on voting day")
    await d.say("STOP")
    await d.say("/langganan")
    assert "You're subscribed" in d.text
    assert "Important updates: on" in d.text and "Voting-day reminder: off" in d.text
    await d.press("Turn the reminder on")
    assert "Voting-day reminder: on" in d.text
    assert await held(runtime, "a") == {
        "broadcasts": True,
        "voting_day": True,
        "poll_results": False,
    }
    await d.press("Stop updates")
    assert "Important updates: off" in d.text
    assert await held(runtime, "a") == {
        "broadcasts": False,
        "voting_day": True,
        "poll_results": False,
    }
    await d.say("/langganan")  # something is still on: it shows the list, changes nothing
    assert "Important updates: off" in d.text
    await d.press("Turn updates on")
    assert await held(runtime, "a") == {
        "broadcasts": True,
        "voting_day": True,
        "poll_results": False,
    }


async def test_the_reminder_needs_a_standing_pledge_from_langganan_too(runtime: Runtime) -> None:
    d = await newcomer(runtime, "a", updates=True)
    await d.say("/langganan")
    await d.press("Turn the reminder on")
    assert "for pledge signers" in d.text
    assert await held(runtime, "a") == {
        "broadcasts": True,
        "voting_day": False,
        "poll_results": False,
    }
