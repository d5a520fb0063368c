"""The report helper: every step, cancel anywhere, what is stored with and without consent."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import ExifTags, Image

from bot.core.photos import BadPhoto, strip_metadata
from bot.core.replies import Reply
from bot.db.models import ConversationState, EngagementEvent
from bot.db.models_broadcast import Notification
from bot.db.models_pledge import Report
from bot.runtime import Runtime, open_runtime
from tests.broadcast_helpers import NoteChannel, deliver_notifications
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.helpers_pledge import add_regions, events, rows

WHAT = "Amplop 50 ribu dari tim sukses calon X"
WHEN = "Kemarin jam 8 malam"
WHERE = "Blora, pasar Kunden"
WHO = "Pak Joko, tim sukses calon X"


def gps_jpeg() -> bytes:
    """A small JPEG carrying EXIF with GPS coordinates, a camera model and an orientation."""
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Model] = "X-1000"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (6.0, 58.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (111.0, 25.0, 1.0)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def test_the_test_photo_really_carries_gps() -> None:
    with Image.open(io.BytesIO(gps_jpeg())) as img:
        exif = img.getexif()
        assert exif[ExifTags.Base.Model] == "X-1000"
        assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "S"


def test_stripping_removes_exif_and_gps_but_keeps_the_picture() -> None:
    clean = strip_metadata(gps_jpeg())
    assert b"Exif" not in clean and b"SpyCam" not in clean
    with Image.open(io.BytesIO(clean)) as img:
        assert img.format == "JPEG" and img.size == (64, 48)
        assert dict(img.getexif()) == {}
        assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert "exif" not in img.info and "icc_profile" not in img.info
        r, g, b = img.getpixel((32, 24))  # type: ignore[misc]
        assert r > 150 and g < 80 and b < 80


def test_stripping_refuses_what_is_not_a_photo() -> None:
    with pytest.raises(BadPhoto):
        strip_metadata(b"not a picture at all")


async def walk_to_consent(d: Dialog, *, photo: bytes | None = None) -> None:
    await d.say("/lapor")
    assert "Bawaslu" in d.text
    await d.press("Money or goods given")
    assert "1/5" in d.text
    await d.say(WHAT)
    assert "2/5" in d.text
    await d.say(WHEN)
    assert "3/5" in d.text
    await d.say(WHERE)
    assert "Which kabupaten or kota is it?" in d.text
    await d.press("Kabupaten Blora")
    assert "4/5" in d.text
    await d.say(WHO)
    assert "5/5" in d.text
    if photo is not None:
        await d.media("photo", photo)
        assert "Got the photo" in d.text
    else:
        await d.say("Ada saksi: tetangga saya")
    assert "within 7 days" in d.text and "Pasal 454 ayat (6)" in d.text
    assert "7 working days" in d.text
    assert "Report of suspected money politics" in d.text
    assert "www.bawaslu.go.id" in d.text
    assert "May I also keep the full text" in d.text


async def state_data(runtime: Runtime) -> list[dict[str, object]]:
    return [s.data for s in await rows(runtime, ConversationState)]


async def test_the_whole_report_without_consent_keeps_only_the_anonymous_record(
    runtime: Runtime,
) -> None:
    ids = await add_regions(runtime)
    d = Dialog(runtime.core, language_code="en")
    await walk_to_consent(d)
    for text in (WHAT, WHEN, WHERE, WHO, "Ada saksi: tetangga saya"):
        assert text in d.text  # the summary holds the user's own words
    assert "(Kabupaten Blora)" in d.text
    await d.press("No, only the anonymous record")
    assert "only the anonymous record" in d.text
    [report] = await rows(runtime, Report)
    assert (report.category, report.kabupaten_id, report.consent) == ("money", ids["blora"], False)
    assert report.details is None and report.photo is None and report.reported_on is not None
    # The conversation state is wiped, and the engagement log never holds the text.
    assert await state_data(runtime) == [{}]
    for e in await rows(runtime, EngagementEvent):
        assert "Amplop" not in repr(e.properties) and "Joko" not in repr(e.properties)
    assert await events(runtime, "report") == [
        ("report_started", {}),
        ("report_completed", {"category": "money", "kabupaten_id": ids["blora"], "consent": False}),
    ]


class FakeSender:
    """The admins' chat: what the outbox's sender delivered there."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.channel = NoteChannel()

    @property
    def sent(self) -> list[tuple[str, list[Reply]]]:
        return self.channel.sent

    async def deliver(self) -> None:
        await deliver_notifications(self.runtime, {"admins": self.channel})


@pytest.fixture
async def admin_runtime(db_url: str) -> AsyncIterator[tuple[Runtime, FakeSender]]:
    rt = await open_runtime(make_settings(db_url, ADMIN_CHAT_ID="admins:-100777"))
    sender = FakeSender(rt)
    try:
        yield rt, sender
    finally:
        await rt.close()


async def test_consent_keeps_the_full_text_and_the_stripped_photo_and_tells_admins(
    admin_runtime: tuple[Runtime, FakeSender],
) -> None:
    runtime, sender = admin_runtime
    ids = await add_regions(runtime)
    d = Dialog(runtime.core, language_code="en")
    await walk_to_consent(d, photo=gps_jpeg())
    assert "a photo (send it together with this report)" in d.text
    await d.press("Yes, keep the full report")
    assert "kept the full report" in d.text
    [report] = await rows(runtime, Report)
    assert report.consent is True and report.kabupaten_id == ids["blora"]
    assert report.details == {
        "what": WHAT,
        "when": WHEN,
        "where": WHERE,
        "who": WHO,
        "evidence": "",
        "photo": True,
    }
    assert report.photo is not None and b"Exif" not in report.photo
    with Image.open(io.BytesIO(report.photo)) as img:
        assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert await state_data(runtime) == [{}]
    await sender.deliver()
    [(target, replies)] = sender.sent
    assert target == "-100777"
    assert f"#{report.id}" in replies[0].text and WHAT in replies[0].text
    assert replies[1].image is not None and replies[1].image.data == report.photo
    # Once sent, the outbox keeps nothing of what the reporter wrote.
    [note] = await rows(runtime, Notification)
    assert note.status == "sent" and note.replies == []


async def test_without_consent_admins_get_only_the_anonymous_record(
    admin_runtime: tuple[Runtime, FakeSender],
) -> None:
    runtime, sender = admin_runtime
    await add_regions(runtime)
    d = Dialog(runtime.core, language_code="en")
    await walk_to_consent(d, photo=gps_jpeg())
    await d.press("No, only the anonymous record")
    [report] = await rows(runtime, Report)
    assert report.photo is None and report.details is None
    await sender.deliver()
    [(_, replies)] = sender.sent
    assert len(replies) == 1 and replies[0].image is None
    text = replies[0].text
    # Admins read the default language (Indonesian).
    assert "Kabupaten Blora" in text and WHAT not in text and "Joko" not in text


@pytest.mark.parametrize("where", ["category", "what", "where_pick", "evidence", "consent"])
async def test_cancel_at_any_step_stores_nothing(runtime: Runtime, where: str) -> None:
    await add_regions(runtime)
    d = Dialog(runtime.core, language_code="en")
    await d.say("/lapor")
    # (the step reached, the action that reaches it)
    steps = [
        ("what", lambda: d.press("A promise for a vote")),
        ("when", lambda: d.say(WHAT)),
        ("where", lambda: d.say(WHEN)),
        ("where_pick", lambda: d.say(WHERE)),
        ("who", lambda: d.press("None of these")),
        ("evidence", lambda: d.say(WHO)),
        ("consent", lambda: d.press("Skip")),
    ]
    current = "category"
    for name, step in steps:
        if current == where:
            break
        await step()
        current = name
    # Alternate between the button and the typed words.
    if where in ("what", "evidence"):
        await d.say("batal")
    elif where == "where_pick":
        await d.say("Cancel")
    else:
        await d.press("Cancel")
    assert "Cancelled. I didn't keep anything you wrote." in d.text
    assert await rows(runtime, Report) == []
    assert await state_data(runtime) == [{}]
    assert ("report_cancelled", {"step": where}) in await events(runtime, "report")
    await d.say(WHAT)  # no longer in the flow: nothing is asked, nothing is kept
    assert "/5" not in d.text and "keep the full" not in d.text
    assert await state_data(runtime) == [{}]


async def test_a_place_that_is_no_kabupaten_is_kept_as_text(runtime: Runtime) -> None:
    d = Dialog(runtime.core, language_code="en")
    await d.say("/lapor")
    await d.press("Mahar politik or other")
    await d.say(WHAT)
    await d.say(WHEN)
    await d.say("Somewhere nobody knows")
    assert "4/5" in d.text
    await d.press("I don't know")
    await d.media("sticker")
    assert "I can only take a photo here" in d.text
    await d.media("photo", b"garbage")
    assert "couldn't open that photo" in d.text
    await d.media("photo")  # a channel that could not download it
    assert "couldn't open that photo" in d.text
    await d.press("Skip")
    assert "Somewhere nobody knows" in d.text and "Who was involved: unknown" in d.text
    await d.say("whatever")
    assert "tap one of the buttons" in d.text
    await d.tap("rep:consent:no")
    [report] = await rows(runtime, Report)
    assert (report.category, report.kabupaten_id) == ("other", None)


async def test_overlong_answers_and_keywords_mid_flow(runtime: Runtime) -> None:
    d = Dialog(runtime.core, language_code="en")
    await d.say("/lapor")
    await d.press("Money or goods given")
    await d.say("x" * 1001)
    assert "keep it under 1,000 characters" in d.text
    await d.say("menu")  # a keyword leaves the flow (and wipes it), then does its job
    assert "choose your language" in d.text
    assert await state_data(runtime) == [{}]
    assert ("report_cancelled", {"step": "what"}) in await events(runtime, "report")
