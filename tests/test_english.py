"""English parity: every command has an English name, help lists the user's own commands, the
English texts say the English words, and dates and names come out right."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from bot.core.quiz.certificate import InvalidName, clean_name
from bot.db.models_pledge import Pledge
from bot.runtime import Runtime
from tests.dialog import Dialog
from tests.test_pledge import en, sign_quickly


async def test_every_listed_command_has_an_english_name(runtime: Runtime) -> None:
    router = runtime.core.router
    for info in router.visible_commands():
        english = info.name_for("en")
        assert english.isascii(), info.name
        assert router.commands[english] is info
    names = {info.name_for("en") for info in router.visible_commands()}
    assert {"pledge", "dates", "quiz", "report", "help", "stop", "language"} <= names


async def test_english_commands_work_and_help_lists_them(runtime: Runtime) -> None:
    d = en(runtime)
    await d.say("/start")
    await d.press("English")
    await d.say("/help")
    for command in ("/pledge", "/dates", "/quiz", "/report", "/help", "/stop", "/language"):
        assert command in d.text, command
    for indonesian in ("/janji", "/jadwal", "/kuis", "/lapor", "/bantuan", "/berhenti"):
        assert indonesian not in d.text, indonesian
    await d.say("/pledge")
    assert "I pledge:" in d.text
    await d.say("/dates")
    assert "don't know that command" not in d.text
    await d.say("/report")
    assert "Type “cancel” or tap Cancel" in d.text
    assert "batal" not in d.text
    await d.say("cancel")
    ind = Dialog(runtime.core, user="u2")
    await ind.say("/start")
    await ind.press("Bahasa Indonesia")
    await ind.say("/bantuan")
    assert "/janji" in ind.text and "/jadwal" in ind.text and "/pledge" not in ind.text
    await ind.say("/lapor")
    assert "Ketik “batal”" in ind.text


async def test_the_pledge_date_is_the_day_in_jakarta(runtime: Runtime) -> None:
    d = en(runtime)
    await sign_quickly(d)
    # Signed at 00:30 WIB on 2 December, which is 17:30 UTC on 1 December: the day shown is
    # the Jakarta one, as on the certificate.
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Pledge).values(signed_at=datetime(2026, 12, 1, 17, 30, tzinfo=UTC))
        )
    await d.say("/pledge")
    assert "You signed this pledge on December 2, 2026" in d.text


def test_certificate_names_with_emoji_are_refused_kindly() -> None:
    with pytest.raises(InvalidName) as caught:
        clean_name("Rina 🌸")
    assert caught.value.reason == "emoji"
    with pytest.raises(InvalidName):
        clean_name("Budi ❤️")
    assert clean_name("Ñoño Sánchez-Putri") == "Ñoño Sánchez-Putri"
    assert clean_name("I Gusti Ayu Kadek") == "I Gusti Ayu Kadek"
