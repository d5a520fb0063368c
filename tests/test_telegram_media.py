"""Photos over Telegram: downloaded only when a flow asks for one, then stripped by the core."""

from __future__ import annotations

import io
import logging

import pytest
from PIL import Image
from sqlalchemy import select

from bot.channels.telegram.adapter import MAX_PHOTO_BYTES, parse_update
from bot.core.events import UnsupportedEvent
from bot.db.models_pledge import Report
from tests.fake_telegram import BOT_ID, BOT_USERNAME, TOKEN, FakeBotAPI
from tests.telegram_harness import Harness, running
from tests.test_report import gps_jpeg
from tests.test_telegram import button_payload

USER = 77


async def say(h: Harness, text: str) -> str:
    h.api.push(h.api.message_update(text, USER, language_code="en"))
    await h.settle()
    return h.api.replies(USER)[-1].text


async def press(h: Harness, label: str) -> str:
    data = button_payload(h.api, USER, label)
    h.api.push(h.api.callback_update(data, USER, language_code="en"))
    await h.settle()
    return h.api.replies(USER)[-1].text


async def to_evidence_step(h: Harness) -> None:
    await say(h, "/lapor")
    await press(h, "Money or goods given")
    await say(h, "Amplop berisi uang untuk memilih caleg nomor 3")
    await say(h, "12 November, sekitar jam 19.00")
    # No regions in this database: the place is kept as text and the flow moves on.
    assert "4/5" in await say(h, "Pasar desa Kunden")
    assert "5/5" in await say(h, "Tim sukses caleg nomor 3")


def texts(h: Harness) -> str:
    return "\n".join(c.text for c in h.api.replies(USER))


def test_the_largest_size_within_the_cap_is_picked() -> None:
    from telegram import Update

    def update(sizes: list[tuple[str, int, int | None]]) -> Update:
        photo = [
            {"file_id": f, "file_unique_id": f, "width": w, "height": w, "file_size": size}
            for f, w, size in sizes
        ]
        data = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "A"},
                "photo": photo,
            },
        }
        return Update.de_json(data, None)

    def pick(sizes: list[tuple[str, int, int | None]]) -> str | None:
        inbound = parse_update(update(sizes), BOT_ID, BOT_USERNAME)
        assert isinstance(inbound.event, UnsupportedEvent) and inbound.event.kind == "photo"
        assert inbound.event.data is None  # the adapter never downloads
        return inbound.photo_file_id

    big = MAX_PHOTO_BYTES + 1
    assert pick([("s", 90, 1_000), ("m", 320, 20_000), ("l", 1280, 200_000)]) == "l"
    assert pick([("s", 90, 1_000), ("m", 320, 20_000), ("xl", 4000, big)]) == "m"
    assert pick([("xl", 4000, big)]) is None


async def test_a_photo_in_the_report_evidence_step_is_downloaded_and_stripped(
    db_url: str,
) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        original = gps_jpeg()
        assert b"Exif" in original
        api.files.update({"thumb": b"tiny thumbnail", "full": original})
        await to_evidence_step(h)
        api.push(
            api.photo_update([("thumb", 90, 60), ("full", 1280, 960)], USER, language_code="en")
        )
        await h.settle()
        assert [c.params["file_id"] for c in api.calls("getFile")] == ["full"]
        assert api.downloads == ["photos/full"]
        assert "Got the photo" in texts(h)
        assert "a photo (send it together with this report)" in texts(h)
        await press(h, "Yes, keep the full report")
        async with h.runtime.db.transaction() as session:
            report = (await session.scalars(select(Report))).one()
        assert report.consent is True and report.details is not None
        assert report.details["photo"] is True
        assert report.photo is not None and b"Exif" not in report.photo
        with Image.open(io.BytesIO(report.photo)) as img:
            assert img.size == (64, 48) and not img.getexif()
        # The token-bearing file URL never reaches the log.
        assert TOKEN not in "".join(str(c.params) for c in api.log)


async def test_a_photo_nobody_asked_for_is_never_downloaded(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        api.files["full"] = gps_jpeg()
        await say(h, "/start")
        api.push(api.photo_update([("full", 64, 48)], USER, language_code="en"))
        await h.settle()
        assert api.calls("getFile") == [] and api.downloads == []
        assert api.replies(USER)[-1].text  # the usual "I can't read that" answer


@pytest.mark.parametrize("fault", ["getFile", "download"])
async def test_a_failed_download_degrades_to_no_data_with_a_warning(
    db_url: str, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        api.files["full"] = gps_jpeg()
        if fault == "getFile":
            api.fail("getFile", "400", description="Bad Request: file is too big")
        else:
            api.unservable.add("full")  # getFile answers, the download is a 404
        await to_evidence_step(h)
        with caplog.at_level(logging.WARNING, logger="bot.channels.telegram.channel"):
            api.push(api.photo_update([("full", 64, 48)], USER, language_code="en"))
            await h.settle()
        assert "couldn't open that photo" in api.replies(USER)[-1].text
        assert "could not download a photo" in caplog.text
        assert TOKEN not in caplog.text
