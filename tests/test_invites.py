"""Sharing that reaches the bot: a link per channel in every share message, and a QR code."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import zxingcpp
from PIL import Image

from bot.config import ConfigError
from bot.db.models_pledge import ReferralCode, UserReferral
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.helpers_pledge import rows
from tests.test_cli import votebot
from tests.test_pledge import sign_quickly


@pytest.fixture
async def both_runtime(db_url: str) -> AsyncIterator[Runtime]:
    rt = await open_runtime(
        make_settings(
            db_url, TELEGRAM_BOT_USERNAME="TemanPemilihBot", WHATSAPP_NUMBER="+62 812-3456-7890"
        )
    )
    rt.core.flood = None
    try:
        yield rt
    finally:
        await rt.close()


async def test_a_whatsapp_signer_shares_a_wa_me_link_that_brings_a_friend(
    both_runtime: Runtime,
) -> None:
    d = Dialog(both_runtime.core, user="6281111", channel="whatsapp", language_code="en")
    await sign_quickly(d)
    [code] = [c.code for c in await rows(both_runtime, ReferralCode)]
    wa = f"https://wa.me/6281234567890?text=ref%20{code}"
    tg = f"https://t.me/TemanPemilihBot?start=ref_{code}"
    message = d.text
    assert wa in message and tg in message
    assert message.index(wa) < message.index(tg)  # the reader's own channel first
    share = d.button("Share on WhatsApp")
    assert share.url is not None and share.url.startswith("https://wa.me/?text=")
    assert wa in unquote(share.url)
    # The friend opens the link: WhatsApp types "ref CODE" for them, and the bot records it.
    typed = parse_qs(urlsplit(wa).query)["text"][0]
    assert typed == f"ref {code}"
    friend = Dialog(both_runtime.core, user="6282222", channel="whatsapp")
    await friend.say(typed)
    assert len(await rows(both_runtime, UserReferral)) == 1


def test_whatsapp_number_is_checked() -> None:
    assert make_settings("sqlite:///x.db", WHATSAPP_NUMBER="+62 (812) 3456-7890").whatsapp_number
    with pytest.raises(ConfigError, match="WHATSAPP_NUMBER: write it with the country code"):
        make_settings("sqlite:///x.db", WHATSAPP_NUMBER="0812345678")
    with pytest.raises(ConfigError, match="WHATSAPP_NUMBER"):
        make_settings("sqlite:///x.db", WHATSAPP_NUMBER="call me")


def _decode(path: Path) -> str:
    image = Image.open(io.BytesIO(path.read_bytes()))
    assert image.format == "PNG"
    [found] = zxingcpp.read_barcodes(image)
    return str(found.text)


def test_referral_create_prints_links_and_writes_a_qr_code(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_USERNAME": "TemanPemilihBot", "WHATSAPP_NUMBER": "6281234567890"}
    png = tmp_path / "poster.png"
    made = votebot(
        ["referral", "create", "SMA 1 Blora", "--code", "SMA1", "--qr", str(png)],
        "",
        tmp_path,
        **env,
    )
    assert made.returncode == 0, made.stderr
    assert "Telegram: https://t.me/TemanPemilihBot?start=ref_SMA1" in made.stdout
    assert "WhatsApp: https://wa.me/6281234567890?text=ref%20SMA1" in made.stdout
    assert _decode(png) == "https://t.me/TemanPemilihBot?start=ref_SMA1"
    wa_png = tmp_path / "wa.png"
    wa = votebot(
        [
            "referral",
            "create",
            "Rina",
            "--code",
            "RINA",
            "--qr",
            str(wa_png),
            "--qr-for",
            "whatsapp",
        ],
        "",
        tmp_path,
        **env,
    )
    assert wa.returncode == 0, wa.stderr
    assert _decode(wa_png) == "https://wa.me/6281234567890?text=ref%20RINA"
    bare = votebot(["referral", "create", "X", "--qr", str(tmp_path / "x.png")], "", tmp_path)
    assert bare.returncode == 1
    assert "set TELEGRAM_BOT_USERNAME or WHATSAPP_NUMBER" in bare.stderr
    assert not (tmp_path / "x.png").exists()


async def test_whatsapp_without_a_configured_number_links_to_the_number_meta_names(
    db_url: str,
) -> None:
    """WHATSAPP_NUMBER unset: the webhook's display_phone_number makes the wa.me link."""
    from tests.whatsapp_fakes import FakeGraph, serving, wa_env

    graph = FakeGraph()
    await graph.start()
    rt = await open_runtime(make_settings(db_url, **wa_env(graph.url)))
    rt.core.flood = None
    try:
        assert rt.settings.whatsapp_number is None
        async with serving(rt, graph) as wa:
            await wa.say("/start")
            await wa.press("English")
            await wa.press("Not now")
            await wa.say("/pledge")
            await wa.press("Sign the pledge")
            await wa.press("Skip")
            await wa.press("Skip")
            [code] = [c.code for c in await rows(rt, ReferralCode)]
            link = f"https://wa.me/15550000000?text=ref%20{code}"
            assert f"Take the pledge with Teman Pemilih: {link}" in wa.text
            assert "ask me where" not in wa.text
    finally:
        await rt.close()
        await graph.close()
