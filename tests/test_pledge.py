"""The pledge: sign once, name and area, counts with a privacy floor, share, withdraw, reminders."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db import pledge_repo
from bot.db.models import User
from bot.db.models_pledge import Pledge, ReferralCode, ReminderOptIn
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.helpers_pledge import add_regions, add_user, events, rows


async def sign_quickly(d: Dialog) -> None:
    """Read the pledge, sign it and skip the name and the area."""
    await d.say("/janji")
    await d.press("Sign the pledge")
    await d.press("Skip")
    await d.press("Skip")


def en(runtime: Runtime, user: str = "u1") -> Dialog:
    return Dialog(runtime.core, user=user, language_code="en")


async def test_sign_with_name_and_kabupaten_then_thanks_and_share(runtime: Runtime) -> None:
    ids = await add_regions(runtime)
    d = en(runtime)
    await d.say("/janji")
    assert "I pledge:" in d.text
    assert "Aku menolak uang" not in d.text  # the English pledge for an English client
    assert "I refuse money, goods or any promise" in d.text
    assert "Sources:" in d.text and "Article 187A" in d.text
    await d.press("Sign the pledge")
    assert "name shown" in d.text
    await d.say("Budi_*<b>")
    assert "Which kabupaten or kota" in d.text
    await d.say("blora")
    assert d.buttons[0] == "Kabupaten Blora, Jawa Tengah"
    await d.press("Kabupaten Blora")
    assert "Thank you, Budi_*<b>!" in d.text
    assert "1 person has signed the pledge so far." in d.text
    assert "In Kabupaten Blora: fewer than 10 signers so far." in d.text
    code = (await rows(runtime, ReferralCode))[0].code
    # No channel configured (as in the simulator): no link that leads nowhere, but what to do.
    assert (
        f"Take the pledge with Teman Pemilih: ask me where to find it, then send it “ref {code}”"
        in d.text
    )
    assert "http" not in d.text
    assert not any(b.url for r in d.replies for b in r.all_buttons())  # no share button either
    assert "🔔 Remind me on voting day" in d.buttons
    [user] = await rows(runtime, User)
    assert (user.display_name, user.region_id) == ("Budi_*<b>", ids["blora"])
    [pledge] = await rows(runtime, Pledge)
    assert pledge.kabupaten_id == ids["blora"] and pledge.withdrawn_at is None
    assert await events(runtime, "pledge") == [
        ("pledge_viewed", {"signed": False}),
        ("pledge_signed", {"again": False}),
        ("display_name_set", {}),
        ("pledge_region_set", {"kabupaten_id": ids["blora"]}),
        ("share_shown", {"link": False}),
    ]


async def test_a_typo_or_unknown_place_gets_a_helpful_answer_and_skip_works(
    runtime: Runtime,
) -> None:
    await add_regions(runtime)
    d = en(runtime)
    await d.say("/janji")
    await d.press("Sign the pledge")
    await d.press("Skip")
    await d.say("Atlantis")
    assert "couldn't find a kabupaten or kota called “Atlantis”" in d.text
    await d.press("Skip")
    assert "1 person has signed" in d.text
    assert "In " not in d.text
    [user] = await rows(runtime, User)
    assert user.region_id is None and user.display_name is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Budi 0812345678", "leave the numbers out"),
        ("B", "2 to 32 characters"),
        ("x" * 33, "2 to 32 characters"),
        ("!!!", "at least one letter"),
        ("see www.example.com", "without links"),
    ],
)
async def test_display_names_are_validated(runtime: Runtime, name: str, problem: str) -> None:
    d = en(runtime)
    await d.say("/janji")
    await d.press("Sign the pledge")
    await d.say(name)
    assert problem in d.text and "Try again, or tap Skip." in d.text
    [user] = await rows(runtime, User)
    assert user.display_name is None
    await d.say("Sari")
    assert "Which kabupaten or kota" in d.text


async def test_signing_twice_counts_once(runtime: Runtime) -> None:
    d = en(runtime)
    await sign_quickly(d)
    await d.tap("pledge:sign")
    assert "already signed" in d.text
    assert "1 person has signed" in d.text
    await d.say("/janji")
    assert "You signed this pledge on" in d.text
    assert "Sign the pledge" not in d.buttons
    assert len(await rows(runtime, Pledge)) == 1
    async with runtime.db.transaction() as s:
        assert await pledge_repo.count_signers(s) == 1
    names = [n for n, _ in await events(runtime, "pledge")]
    assert names.count("pledge_signed") == 1 and "pledge_sign_repeated" in names


async def test_withdraw_and_sign_again(runtime: Runtime) -> None:
    d = en(runtime)
    await sign_quickly(d)
    await d.say("/janji")
    await d.press("Withdraw my signature")
    assert "It will no longer count" in d.text
    await d.press("No, keep it")
    assert "You signed this pledge on" in d.text
    await d.press("Withdraw my signature")
    await d.press("Yes, withdraw")
    assert "Your signature is withdrawn" in d.text
    async with runtime.db.transaction() as s:
        assert await pledge_repo.count_signers(s) == 0
    await d.tap("pledge:withdraw:yes")  # a second tap on the old button
    assert "no longer works" in d.text
    await d.tap("pledge:sign")
    await d.press("Skip")
    await d.press("Skip")
    assert "1 person has signed" in d.text
    [pledge] = await rows(runtime, Pledge)
    assert pledge.withdrawn_at is None
    signed = [
        p for n, p in await events(runtime, "pledge") if n in ("pledge_signed", "pledge_withdrawn")
    ]
    assert signed == [{"again": False}, {}, {"again": True}]


async def test_regional_counts_have_a_privacy_floor(runtime: Runtime) -> None:
    ids = await add_regions(runtime)
    async with runtime.db.transaction() as s:
        for i in range(9):
            uid = (await _user(s, f"blora-{i}")).id
            await pledge_repo.sign_pledge(s, uid, ids["blora"])
        for i in range(3):
            uid = (await _user(s, f"rembang-{i}")).id
            await pledge_repo.sign_pledge(s, uid, ids["rembang"])
    d = en(runtime, "tenth")
    await d.say("/janji")
    await d.press("Sign the pledge")
    await d.press("Skip")
    await d.say("Kab. Blora")
    await d.press("Kabupaten Blora")
    assert "13 people have signed the pledge so far." in d.text
    assert "In Kabupaten Blora: 10 signers." in d.text
    r = en(runtime, "fourth-rembang")
    await r.say("/janji")
    await r.press("Sign the pledge")
    await r.press("Skip")
    await r.say("rembang")
    await r.press("Kabupaten Rembang")
    assert "14 people have signed" in r.text
    assert "In Kabupaten Rembang: fewer than 10 signers so far." in r.text
    # Numbers are formatted for the reader's language.
    i = Dialog(runtime.core, user="indo", language_code="id")
    await i.say("/janji")
    await i.press("✍️")
    await i.press("Lewati")
    await i.press("Lewati")
    assert "15 orang" in i.text


async def _user(s: object, external_id: str) -> User:
    from bot.core.events import UserRef
    from bot.db import repo

    user, _ = await repo.get_or_create_user(s, UserRef("test", external_id))  # type: ignore[arg-type]
    return user


async def test_a_saved_area_gives_the_kabupaten_without_asking(runtime: Runtime) -> None:
    ids = await add_regions(runtime)
    await add_user(runtime, "u1", region_id=ids["kelurahan"])
    d = en(runtime)
    await d.say("/janji")
    await d.press("Sign the pledge")
    await d.press("Skip")
    assert "In Kabupaten Blora: fewer than 10" in d.text
    [pledge] = await rows(runtime, Pledge)
    assert pledge.kabupaten_id == ids["blora"]
    [user] = await rows(runtime, User)
    assert user.region_id == ids["kelurahan"]  # the more specific saved area is kept
    assert ("pledge_signed", {"again": False, "kabupaten_id": ids["blora"]}) in await events(
        runtime, "pledge"
    )


async def test_voting_day_reminder_opt_in_is_for_signers(runtime: Runtime) -> None:
    d = en(runtime)
    await d.tap("pledge:remind:on")
    assert "for pledge signers" in d.text
    assert await rows(runtime, ReminderOptIn) == []
    await sign_quickly(d)
    await d.press("Remind me on voting day")
    assert "evening before and the morning of voting day" in d.text
    [opt] = await rows(runtime, ReminderOptIn)
    assert opt.kind == "voting_day"
    [user] = await rows(runtime, User)
    assert user.opted_in is False  # the reminder is its own consent, not general updates
    assert ("reminder_opt_in", {}) in await events(runtime, "pledge")
    await d.press("No voting-day reminder")
    assert await rows(runtime, ReminderOptIn) == []


@pytest.fixture
async def tg_runtime(db_url: str) -> AsyncIterator[Runtime]:
    rt = await open_runtime(make_settings(db_url, TELEGRAM_BOT_USERNAME="@TemanPemilihBot"))
    try:
        yield rt
    finally:
        await rt.close()


async def test_share_gives_a_telegram_deep_link_when_the_bot_username_is_set(
    tg_runtime: Runtime,
) -> None:
    d = en(tg_runtime)
    await sign_quickly(d)
    code = (await rows(tg_runtime, ReferralCode))[0].code
    link = f"https://t.me/TemanPemilihBot?start=ref_{code}"
    assert link in d.text
    share = d.button("Share on Telegram")
    assert share.url is not None and share.url.startswith("https://t.me/share/url?url=https%3A")
    # The personal code is stable.
    await d.say("/janji")
    await d.press("Share my link")
    assert link in d.text
    assert len(await rows(tg_runtime, ReferralCode)) == 1


async def test_pledge_kind_reports_bad_files_with_lines(
    tmp_path: object, settings: Settings
) -> None:
    from pathlib import Path

    from bot.core.content import load_content

    root = Path(str(tmp_path)) / "content"
    (root / "id").mkdir(parents=True)
    (root / "id" / "pledge.md").write_text(
        "---\nid: pledge\ntitle: Janji\npoints: []\nsource: []\n---\nIntro\n", encoding="utf-8"
    )
    _, errors = load_content(root, ["id"], "id")
    messages = [e.format(root) for e in errors]
    assert (
        "id/pledge.md:4: points: List should have at least 1 item after validation, not 0"
        in messages
    )
    assert "id/pledge.md:5: unknown key 'source'" in messages
    assert "id/pledge.md:1: missing key 'sources'" in messages


async def test_users_table_keeps_one_pledge_per_user(runtime: Runtime) -> None:
    uid = await add_user(runtime, "x")
    async with runtime.db.transaction() as s:
        assert await pledge_repo.sign_pledge(s, uid, None) == "signed"
        assert await pledge_repo.sign_pledge(s, uid, None) == "already"
        assert await pledge_repo.withdraw_pledge(s, uid) is True
        assert await pledge_repo.withdraw_pledge(s, uid) is False
        assert await pledge_repo.sign_pledge(s, uid, None) == "resigned"
        assert len((await s.scalars(select(Pledge))).all()) == 1
