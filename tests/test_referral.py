"""Referrals: deep links and first messages record who brought a user, first touch only."""

from __future__ import annotations

from bot.db import pledge_repo
from bot.db.models_pledge import ReferralCode, UserReferral
from bot.runtime import Runtime
from tests.dialog import Dialog
from tests.helpers_pledge import events, rows
from tests.test_pledge import sign_quickly


async def make_code(
    runtime: Runtime, name: str, kind: str, code: str | None = None
) -> tuple[int, str]:
    async with runtime.db.transaction() as s:
        made = await pledge_repo.create_code(s, name, kind, code)
        return made.id, made.code


async def test_a_deep_link_records_the_referral_and_onboards(runtime: Runtime) -> None:
    code_id, code = await make_code(runtime, "SMA Negeri 1 Blora", "school")
    assert code == "SMANEGERI1BLORA"
    d = Dialog(runtime.core, user="new")
    await d.say(f"/start ref_{code.lower()}")
    assert "Teman Pemilih" in d.text and d.buttons == ["Bahasa Indonesia", "English"]
    [ref] = await rows(runtime, UserReferral)
    assert ref.code_id == code_id
    assert await events(runtime, "referral") == [
        ("referral_joined", {"code": "SMANEGERI1BLORA", "code_kind": "school"})
    ]
    # First touch wins: a later link changes nothing.
    _, other = await make_code(runtime, "Rina", "volunteer", "rina")
    await d.say(f"/start ref_{other}")
    assert [r.code_id for r in await rows(runtime, UserReferral)] == [code_id]


async def test_a_ref_first_message_records_the_referral(runtime: Runtime) -> None:
    code_id, code = await make_code(runtime, "Rina", "volunteer", "rina-01")
    d = Dialog(runtime.core, user="wa-user", channel="whatsapp")
    await d.say(f"ref {code}")
    assert "pilih bahasa" in d.text.lower()
    [ref] = await rows(runtime, UserReferral)
    assert ref.code_id == code_id
    assert ("referral_joined", {"code": "RINA-01", "code_kind": "volunteer"}) in await events(
        runtime, "referral"
    )


async def test_an_unknown_code_gets_a_kind_word_and_still_onboards(runtime: Runtime) -> None:
    d = Dialog(runtime.core, user="lost", language_code="en")
    await d.say("/start ref_NOPE123")
    assert "don't know that invitation code" in d.text
    assert "choose your language" in d.text
    await d.say("ref ???")
    assert "don't know that invitation code" in d.text
    assert await rows(runtime, UserReferral) == []
    assert [n for n, _ in await events(runtime, "referral")] == ["unknown_code", "unknown_code"]


async def test_a_users_personal_link_works_as_a_code(runtime: Runtime) -> None:
    a = Dialog(runtime.core, user="alice", language_code="en")
    await sign_quickly(a)
    [code] = await rows(runtime, ReferralCode)
    assert code.kind == "user"
    code_id, code_text = code.id, code.code
    # Her own link does not refer herself.
    await a.say(f"/start ref_{code_text}")
    assert await rows(runtime, UserReferral) == []
    b = Dialog(runtime.core, user="bob")
    await b.say(f"/start ref_{code_text}")
    [ref] = await rows(runtime, UserReferral)
    assert ref.code_id == code_id
    joined = ("referral_joined", {"code": code_text, "code_kind": "user"})
    assert joined in await events(runtime, "referral")


async def test_an_existing_member_is_not_attributed(runtime: Runtime) -> None:
    _, code = await make_code(runtime, "Rina", "volunteer", "rina")
    d = Dialog(runtime.core, user="old", language_code="en")
    await d.say("/start")
    await d.press("English")
    await d.press("Not now")
    await d.say(f"/start ref_{code}")
    assert "Welcome back" in d.text
    assert await rows(runtime, UserReferral) == []
    assert ("already_member", {"code_kind": "volunteer"}) in await events(runtime, "referral")


async def test_referral_stats_count_users_pledges_and_completed_quizzes(runtime: Runtime) -> None:
    from tests.test_quiz_dialog import play

    code_id, code = await make_code(runtime, "Rina", "volunteer", "rina")
    for user in ("a", "b", "c"):
        await Dialog(runtime.core, user=user).say(f"ref {code}")
    await Dialog(runtime.core, user="d").say("/start")  # came on their own
    a = Dialog(runtime.core, user="a", language_code="en")
    await a.say("/janji")
    await a.press("Sign the pledge")
    for user in ("a", "b"):  # two finish a quiz ...
        d = Dialog(runtime.core, user=user, language_code="en")
        await d.say("/bahasa en")
        await play(d, "Voting basics")
    c = Dialog(runtime.core, user="c", language_code="en")  # ... one only starts one
    await c.say("/bahasa en")
    await c.say("/kuis")
    await c.press("Voting basics")
    async with runtime.db.transaction() as s:
        [stat] = await pledge_repo.referral_stats(s)
    assert (stat.code.id, stat.users, stat.pledges, stat.quizzes) == (code_id, 3, 1, 2)


async def test_referral_segments_and_reports_see_the_code_users_came_with(
    runtime: Runtime,
) -> None:
    from bot.core.segments import audience_size, parse_segment
    from bot.reports.data import Period, build_report

    await make_code(runtime, "SMA Negeri 1 Blora", "school", "sman1blora")
    await make_code(runtime, "Rina", "volunteer", "rina")
    for user, first in (("t1", "/start ref_SMAN1BLORA"), ("t2", "/start ref_sman1blora")):
        d = Dialog(runtime.core, user=user, language_code="en")
        await d.say(first)
        await d.press("English")
        await d.press("Yes, remind me")
    wa = Dialog(runtime.core, user="62812", channel="whatsapp", language_code="en")
    await wa.say("ref RINA")
    await wa.press("English")
    await wa.press("Yes, remind me")
    async with runtime.db.sessions() as s:

        async def size(expression: str) -> int:
            found = await audience_size(s, parse_segment(expression), default_locale="id")
            return sum(found.values())

        assert await size("referral=SMAN1BLORA") == 2
        assert await size("referral=sman1blora|rina") == 3
        assert await size("referral=RINA,channel=whatsapp") == 1
        assert await size("referral=NOBODY") == 0
        report = await build_report(s, Period.parse())
    codes = {row["code"]: row for row in report["referrals"]["codes"]}
    assert codes["SMAN1BLORA"]["users"] == 2 and codes["SMAN1BLORA"]["kind"] == "school"
    assert codes["RINA"]["users"] == 1 and None not in codes
