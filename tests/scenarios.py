"""Dialog scenarios written once and run unchanged on every channel (tests/test_scenarios.py).

A scenario is a small async function over a :class:`Driver`: what a person does (say a text, press
a button by its label, share a location) and what they see back (the texts, the option labels and
the links of the bot's answer to the last action). Drivers (tests/scenario_drivers.py) turn this
into real channel traffic: Telegram updates against a fake Bot API, signed WhatsApp webhook posts
against a fake Graph API. Nothing here knows which channel it runs on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Driver(Protocol):
    """One person talking to the bot over one channel."""

    #: What the bot showed after the last action, as the user saw it.
    screen: Any

    async def say(self, text: str) -> None: ...

    async def press(self, label: str, on: Any = None) -> None:
        """Press the option labelled ``label`` on the current screen (or an earlier one, ``on``).

        ``label`` is the full label, its beginning, or a part of it (case-insensitive).
        """

    async def share_location(self, latitude: float, longitude: float) -> None: ...

    async def send_voice_note(self) -> None: ...

    async def send_photo(self, caption: str | None = None) -> None:
        """Send (forward) a small picture, with ``caption`` when given."""

    @property
    def text(self) -> str:
        """The plain text of every message of the current screen, without formatting."""

    @property
    def options(self) -> list[str]:
        """The full labels of the options (buttons, list rows) on the current screen."""

    @property
    def links(self) -> list[str]:
        """The URLs on the current screen (link buttons and links in the text)."""


def pick(options: Sequence[tuple[str, Any]], label: str) -> Any:
    """The value of the option whose full label is ``label``, starts with it, or contains it."""
    wanted = label.casefold()
    for match in (
        lambda full: full == label,
        lambda full: full.casefold().startswith(wanted),
        lambda full: wanted in full.casefold(),
    ):
        for full, value in options:
            if match(full):
                return value
    raise AssertionError(f"no option {label!r}; options: {[full for full, _ in options]}")


@dataclass(frozen=True)
class Scenario:
    run: Callable[[Driver], Awaitable[None]]
    #: Needs regions and the sample TPS (DKI Jakarta) in the database.
    tps: bool = False

    @property
    def name(self) -> str:
        return self.run.__name__


SCENARIOS: list[Scenario] = []


def scenario(
    *, tps: bool = False
) -> Callable[[Callable[[Driver], Awaitable[None]]], Callable[[Driver], Awaitable[None]]]:
    def register(
        run: Callable[[Driver], Awaitable[None]],
    ) -> Callable[[Driver], Awaitable[None]]:
        SCENARIOS.append(Scenario(run, tps))
        return run

    return register


async def english_menu(d: Driver) -> None:
    """First contact, English, no reminders: the main menu."""
    await d.say("/start")
    await d.press("English")
    await d.press("Not now")
    assert "What would you like to do?" in d.text


# --------------------------------------------------------------------------- the scenarios


@scenario()
async def onboarding_to_menu(d: Driver) -> None:
    await d.say("/start")
    assert "Teman Pemilih" in d.text
    assert d.options == ["Bahasa Indonesia", "English"]
    await d.press("English")
    assert "I'll talk to you in English" in d.text and "reminder" in d.text
    assert "Not now" in d.options
    await d.press("Not now")
    assert "What would you like to do?" in d.text
    assert {"🗳️ Voting-day basics", "📍 Find your TPS", "⚙️ More"} <= set(d.options)
    assert len(d.options) <= 10  # the whole main menu fits one WhatsApp list
    await d.press("⚙️ More")
    assert {"🌐 Language", "🔒 Privacy", "ℹ️ About"} <= set(d.options)
    await d.say("/start")
    assert "Welcome back" in d.text


@scenario()
async def info_page_with_sources(d: Driver) -> None:
    await english_menu(d)
    await d.press("🗳️ Voting-day basics")
    assert "Pick a topic" in d.text
    topics = d.options
    assert len(topics) >= 5
    await d.press(topics[0])
    assert "Sources:" in d.text
    assert "Next ➡️" in d.options
    await d.press("Next ➡️")
    assert "Sources:" in d.text
    await d.say("/info check-registration")
    assert "cekdptonline.kpu.go.id" in d.text


async def quiz_to_the_last_question(d: Driver) -> None:
    """Nine questions answered with feedback; the tenth (four options) is on screen."""
    await d.say("/kuis")
    assert "Quizzes" in d.text
    await d.press("Voting basics")
    assert "Question 1 of 10" in d.text
    for number in range(1, 10):
        assert answer_letters(d) == ["A. ", "B. ", "C. "], d.options
        await d.press("C. ")
        assert "✅ Right!" in d.text or "❌ Not quite. The right answer: " in d.text
        assert "Sources:" in d.text
        assert f"Question {number + 1} of 10" in d.text
    assert answer_letters(d) == ["A. ", "B. ", "C. ", "D. "], d.options


def answer_letters(d: Driver) -> list[str]:
    return [o[:3] for o in d.options if o[1:3] == ". "]


async def quiz_last_answer(d: Driver) -> None:
    await d.press("D. ")
    assert "✅ Right!" in d.text or "❌ Not quite. The right answer: " in d.text
    assert "Your score: " in d.text and "/10" in d.text


@scenario()
async def quiz_answered_to_the_end(d: Driver) -> None:
    """Ten questions with feedback; the last one has four options (a list on WhatsApp)."""
    await english_menu(d)
    await quiz_to_the_last_question(d)
    await quiz_last_answer(d)


@scenario()
async def a_double_tap_on_a_quiz_answer_counts_once(d: Driver) -> None:
    await english_menu(d)
    await d.say("/kuis voting-basics")
    first = d.screen
    await d.press("A. ")
    assert "Question 2 of 10" in d.text
    await d.press("B. ", on=first)
    assert "You already answered question 1" in d.text
    assert "Question 2 of 10" in d.text


@scenario(tps=True)
async def tps_by_postcode(d: Driver) -> None:
    await english_menu(d)
    await tps_postcode_steps(d)


async def tps_postcode_steps(d: Driver) -> None:
    await d.say("/menu")
    await d.press("📍 Find your TPS")
    assert "postcode" in d.text
    await d.say("12110")
    assert "Selong" in d.text and "2 TPS here" in d.text
    await d.press("TPS 001")
    assert "CONTOH – alamat fiktif" in d.text
    assert "07.00–13.00 local time" in d.text and "(here: WIB)" in d.text
    assert "KTP-el" in d.text
    assert any(u.startswith("https://www.openstreetmap.org/?mlat=-6.233100") for u in d.links)
    assert any(u.startswith("https://cekdptonline.kpu.go.id") for u in d.links)


@scenario(tps=True)
async def tps_by_shared_location(d: Driver) -> None:
    await english_menu(d)
    await d.share_location(-6.2335, 106.8031)
    assert "nearest TPS I know is TPS 001 Selong, about 50 m away" in d.text
    await d.press("TPS 001 Selong")
    assert "CONTOH" in d.text and "(here: WIB)" in d.text


@scenario()
async def pledge_signed(d: Driver) -> None:
    await english_menu(d)
    await pledge_steps(d)


async def pledge_steps(d: Driver) -> None:
    await d.say("/janji")
    assert "I pledge:" in d.text and "Sources:" in d.text
    await d.press("Sign the pledge")
    assert "name shown" in d.text
    await d.say("Budi")
    assert "Which kabupaten or kota" in d.text
    await d.press("Skip")
    assert "Thank you, Budi!" in d.text
    assert "1 person has signed the pledge so far." in d.text
    assert "🔔 Remind me on voting day" in d.options


@scenario()
async def report_cancelled(d: Driver) -> None:
    await english_menu(d)
    await d.say("/lapor")
    assert "Bawaslu" in d.text
    await d.press("Money or goods given")
    assert "1/5" in d.text
    await d.say("Someone handed out envelopes at the market.")
    assert "2/5" in d.text
    await d.press("Cancel")
    assert "Cancelled. I didn't keep anything you wrote." in d.text


@scenario()
async def report_to_the_summary(d: Driver) -> None:
    await english_menu(d)
    await d.say("/lapor")
    await d.press("A promise for a vote")
    await d.say("A campaigner promised cash after the vote.")
    await d.say("Yesterday evening")
    await d.say("The village hall")
    assert "4/5" in d.text
    await d.press("I don't know")
    await d.press("Skip")
    assert "for a Pemilu within 7 working days" in d.text
    assert "for a Pilkada within 7 days" in d.text
    assert "Report of suspected money politics" in d.text
    assert "sigaplapor.bawaslu.go.id" in d.text and "Panwaslu kecamatan" in d.text
    assert "Pengawas TPS" in d.text and "registered election observer" in d.text
    assert "Sources:" in d.text and "Pasal 454" in d.text
    assert "No, only the anonymous record" in d.options


@scenario()
async def stale_button(d: Driver) -> None:
    await english_menu(d)
    await d.say("/janji")
    await d.press("Sign the pledge")
    asking_name = d.screen
    await d.say("/menu")
    await d.press("Skip", on=asking_name)
    assert "earlier conversation" in d.text
    assert "🗳️ Voting-day basics" in d.options  # and the way on


@scenario()
async def nik_warning(d: Driver) -> None:
    await english_menu(d)
    await d.say("3201234567890123")
    assert "That looks like a NIK" in d.text
    assert "cekdptonline.kpu.go.id" in d.text
    assert "3201234567890123" not in d.text


@scenario()
async def opt_out_stop_and_back_in(d: Driver) -> None:
    """In Indonesian, by keyword, as people type it."""
    await d.say("/start")
    await d.press("Bahasa Indonesia")
    await d.press("Ya, ingatkan aku")
    await d.say("BERHENTI")
    assert "nggak akan kirim pengingat lagi" in d.text
    await d.say("mulai")
    assert "berlangganan" in d.text
    await d.say("STOP")
    assert "nggak akan kirim pengingat lagi" in d.text


@scenario()
async def language_switch_and_free_text(d: Driver) -> None:
    await english_menu(d)
    await d.say("/bahasa")
    await d.press("Bahasa Indonesia")
    assert "Bahasa Indonesia" in d.text
    await d.say("halo, aku bingung")
    assert d.text and d.options  # a helpful answer with a way on


# --------------------------------------------------------------------------- Cek Fakta

FORWARDED_HOAX = (
    "Diteruskan\nGEGER!!! 7 kontainer surat suara sudah dicoblos ditemukan di pelabuhan "
    "Tanjung Priok, isinya 70 juta kertas suara 😱😱 SEBARKAN"
)


@scenario()
async def forwarded_hoax_gets_verdict_and_paste_back_reply(d: Driver) -> None:
    await english_menu(d)
    await d.say(FORWARDED_HOAX)
    assert "HOAX" in d.text and "Tanjung Priok" in d.text
    assert "Sources:" in d.text
    assert "📋 Reply for the group" in d.options
    verdict = d.screen
    await d.press("📋 Reply for the group")
    assert "Sorry to butt in" in d.text
    assert "Sources:" not in d.text and "HOAX" not in d.text
    assert "https://pemilu.tempo.co/read/1161040/" in " ".join(d.links)
    await d.press("📋 Reply for the group", on=verdict)
    assert "Sorry to butt in" in d.text


@scenario()
async def a_forwarded_photo_is_checked_by_its_caption(d: Driver) -> None:
    await english_menu(d)
    await d.send_photo(caption=FORWARDED_HOAX)
    assert "HOAX" in d.text and "Tanjung Priok" in d.text
    assert "📋 Reply for the group" in d.options
    await d.press("📋 Reply for the group")
    assert "Sorry to butt in" in d.text
    # a photo without a caption keeps the usual answer
    await d.send_photo()
    assert "I can't open that yet" in d.text and "HOAX" not in d.text
    # a blank caption is no caption
    await d.send_photo(caption="  ")
    assert "I can't open that yet" in d.text


@scenario()
async def a_picture_sent_to_cek_fakta_is_checked_by_its_caption(d: Driver) -> None:
    await english_menu(d)
    await d.press("🔎 Fact check")
    await d.send_photo()
    assert "I don't know this picture" in d.text
    await d.say("/cek")
    await d.send_photo(
        caption="Diteruskan\nBesok semua TPS di kota kita pindah ke balai desa karena banjir, "
        "SEBARKAN"
    )
    assert "haven't got a check" in d.text
    await d.press("📨 Send to the team")
    assert "The team has it now" in d.text
    await d.say("/cek")
    await d.send_photo(caption=FORWARDED_HOAX)
    assert "HOAX" in d.text and "Tanjung Priok" in d.text


@scenario()
async def a_question_is_not_mistaken_for_a_claim(d: Driver) -> None:
    await english_menu(d)
    await d.say("what time does the tps open")
    assert "HOAX" not in d.text and "claim" not in d.text
    assert "07.00" in d.text
    await d.say("jam brp tps buka")
    assert "HOAX" not in d.text and "07.00" in d.text


@scenario()
async def near_duplicate_links_match_a_checked_claim(d: Driver) -> None:
    await english_menu(d)
    await d.say("look at this http://vt.tiktok.com/ZSFNSEq32?utm_source=whatsapp&fbclid=abc")
    assert "HOAX" in d.text and "abroad" in d.text


@scenario()
async def fact_check_from_the_menu_and_an_unknown_claim(d: Driver) -> None:
    await english_menu(d)
    await d.press("🔎 Fact check")
    assert "Paste or forward" in d.text
    await d.say(
        "Diteruskan\nBesok semua TPS di kota kita pindah ke balai desa karena banjir, SEBARKAN"
    )
    assert "haven't got a check" in d.text
    assert "cekfakta.com" in d.text
    assert {"📨 Send to the team", "🔔 Send and tell me"} <= set(d.options)
    await d.press("🔔 Send and tell me")
    assert "I'll tell you once" in d.text


@scenario()
async def a_question_as_the_first_message(d: Driver) -> None:
    """A new user asks before anything else: the answer with its source first, then the language."""
    await d.say("ktp ku ilang, msh bisa milih?")
    assert "Sumber:" in d.text and "KTP" in d.text
    assert "👍" in d.options and "Bahasa Indonesia" in d.options
    await d.press("Bahasa Indonesia")
    await d.press("Nanti dulu")
    await d.say("jam brp tps buka")
    assert "07.00" in d.text and "Bahasa Indonesia" not in d.options


@scenario()
async def typed_small_talk_neutrality_and_which_one(d: Driver) -> None:
    await english_menu(d)
    await d.say("who should i vote for")
    assert "won't recommend" in d.text and "infopemilu.kpu.go.id" in d.text
    await d.say("thx")
    assert "welcome" in d.text
    await d.say("ballots")  # three FAQ entries score within 0.06: a robust "which one?"
    assert "Which one do you mean?" in d.text
    await d.press(d.options[0])
    assert "Sources:" in d.text
    await d.say("zxcv qwerty uiop")
    assert "can't answer that yet" in d.text


# --------------------------------------------------------------------------- typed, not tapped


@scenario()
async def typed_answers_instead_of_taps(d: Driver) -> None:
    """Language, yes/no, labels without emoji, a quiz letter; a question mid-quiz; cancel."""
    await d.say("/start")
    await d.say("english")
    assert "I'll talk to you in English" in d.text
    await d.say("nope")
    assert "What would you like to do?" in d.text
    await d.say("quiz")  # the "📝 Quiz" button, typed
    assert "Quizzes" in d.text
    await d.say("/kuis voting-basics")
    await d.say("b")
    assert "Question 2 of 10" in d.text
    await d.say("what time does the polling station open")
    assert "Back to where we were" in d.text and "Question 2 of 10" in d.text
    assert answer_letters(d) == ["A. ", "B. ", "C. "], d.options
    await d.say("cancel")
    assert "paused the quiz" in d.text and "What would you like to do?" in d.text


@scenario()
async def cancel_and_stop_inside_a_report(d: Driver) -> None:
    await d.say("/start")
    await d.say("english")
    await d.say("yes")  # reminders on
    await d.say("/lapor")
    await d.say("money or goods given")  # "💵 Money or goods given"
    assert "1/5" in d.text
    await d.say("batal")
    assert "Cancelled. I didn't keep anything you wrote." in d.text
    assert "What would you like to do?" in d.text
    await d.say("/lapor")
    await d.say("stop")
    assert "stop sending you reminders" in d.text  # asked, never silently
    await d.say("no")
    assert "your reminders stay on" in d.text


@scenario()
async def voice_note_mid_flow(d: Driver) -> None:
    await english_menu(d)
    await d.send_voice_note()
    assert "Just type your question" in d.text and "Here's what I can help with" in d.text
    await d.say("/lapor")
    await d.send_voice_note()
    assert "voice notes" in d.text and "Back to where we were" in d.text
    assert "What kind of money politics was it?" in d.text
    assert any("Cancel" in o for o in d.options)
