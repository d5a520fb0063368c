"""The election calendar: content checks and the countdown with a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.core.calendar import Calendar
from bot.core.content import load_content
from bot.runtime import Runtime
from tests.dialog import Dialog
from tests.helpers_pledge import events


def at(runtime: Runtime, when: datetime) -> None:
    runtime.core.clock = lambda: when


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (
            datetime(2024, 2, 10, 5, 0, tzinfo=UTC),
            "2024 general election: 4 days to go until voting day.",
        ),
        (
            datetime(2024, 2, 13, 16, 0, tzinfo=UTC),
            "2024 general election: voting day is tomorrow!",
        ),
        # 18:00 UTC on the 13th is already the 14th in Jakarta (WIB, UTC+7).
        (
            datetime(2024, 2, 13, 18, 0, tzinfo=UTC),
            "Today is voting day for 2024 general election!",
        ),
        (datetime(2024, 10, 28, 5, 0, tzinfo=UTC), "(Pilkada): 30 days to go until voting day."),
    ],
)
async def test_countdown_to_the_next_voting_day(
    runtime: Runtime, now: datetime, expected: str
) -> None:
    at(runtime, now)
    d = Dialog(runtime.core, language_code="en")
    await d.say("/jadwal")
    assert expected in d.text
    assert "Sources:" in d.text and "KPU RI" in d.text
    assert "🤝 Take the pledge" in d.buttons and "📋 Check your registration" in d.buttons
    assert "expected in 2029" not in d.text  # a dated election is coming: just the countdown


async def test_dates_are_formatted_for_the_readers_language(runtime: Runtime) -> None:
    at(runtime, datetime(2024, 2, 1, tzinfo=UTC))
    d = Dialog(runtime.core, language_code="en")
    await d.say("/jadwal")
    assert "Voting day: Wednesday, February 14, 2024" in d.text
    assert "Final voter list (DPT) set: July 2, 2023" in d.text
    i = Dialog(runtime.core, user="i", language_code="id")
    await i.say("/jadwal")
    assert "Rabu, 14 Februari 2024" in i.text
    assert ("countdown_viewed", {"election": "pemilu-2024", "days": 13}) in await events(
        runtime, "calendar"
    )


async def test_a_year_with_no_election_shows_what_is_known_and_what_to_do_now(
    runtime: Runtime,
) -> None:
    at(runtime, datetime(2026, 12, 2, 3, 0, tzinfo=UTC))
    d = Dialog(runtime.core, language_code="en")
    await d.say("/jadwal")
    text = d.text
    assert "No voting day is set yet" in text and "days to go" not in text
    # Expected elections come first, with what is known and no invented date.
    assert "The next national election\n" in text
    assert "Voting day: expected in 2029 (President, DPR, DPD); KPU has not set the date yet" in (
        text
    )
    assert "The next local elections (DPRD, governors, regents, mayors)\n" in text
    assert "the details wait for a revised law and are not settled" in text
    assert "Check your registration: you can do it now, on cekdptonline.kpu.go.id" in text
    assert "What you can do now:" in text
    # Then the most recent elections, newest first, with the 2024 move deadlines split.
    assert text.index("next local") < text.index("The most recent ones:") < text.index("Pilkada")
    assert text.index("Pilkada") < text.index("2024 general election")
    assert "Voting day: November 27, 2024" in text and "Voting day: February 14, 2024" in text
    assert "(study, work, moving house…): October 28, 2024" in text
    assert "(hospital, disaster, detention, on duty): November 20, 2024" in text
    assert "Moves were only possible within the same province or kabupaten/kota." in text
    assert "Putusan MK No. 135/PUU-XXII/2024" in text  # the expected dates cite their sources
    assert "PKPU No. 6 Tahun 2021" in text and "Pasal 167" in text  # ... and their facts'
    assert ("countdown_viewed", {"election": None}) in await events(runtime, "calendar")
    await d.press("📋 Check your registration")
    assert "KPU kabupaten/kota" in d.text and "Sources:" in d.text
    i = Dialog(runtime.core, user="i", language_code="id")
    await i.say("/jadwal")
    assert "Belum ada tanggal nyoblos yang ditetapkan" in i.text
    assert "diperkirakan 2029 (Presiden, DPR, DPD); tanggalnya belum ditetapkan KPU" in i.text
    assert "Yang bisa kamu lakukan sekarang" in i.text and "📋 Cek DPT-mu" in i.buttons


async def test_signers_get_the_reminder_button(runtime: Runtime) -> None:
    at(runtime, datetime(2024, 11, 1, tzinfo=UTC))
    d = Dialog(runtime.core, language_code="en")
    await d.say("/janji")
    await d.press("Sign the pledge")
    await d.say("/jadwal")
    await d.press("Remind me on voting day")
    assert "evening before" in d.text


def test_calendar_errors_name_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "content"
    (root / "id").mkdir(parents=True)
    (root / "calendar.md").write_text(
        "---\n"
        "elections:\n"
        "  - id: pemilu-2029\n"
        "    name:\n"
        "      en: 2029 general election\n"
        "    stages:\n"
        "      - kind: voting-day\n"
        "        date: 2029-01-01\n"
        "        sources: [{id: kpu, title: KPU RI}]\n"
        "      - kind: coronation\n"
        "        date: 2029-01-02\n"
        "        sources: [{id: kpu, title: KPU RI}]\n"
        "---\n",
        encoding="utf-8",
    )
    _, errors = load_content(root, ["id"], "id")
    assert [e.format(root) for e in errors] == [
        "calendar.md:10: elections.0.stages.1.kind: unknown stage kind 'coronation' (known: "
        "voter-list-set, registration-check, campaign, move-deadline, move-deadline-special, "
        "quiet-period, voting-day)"
    ]
    (root / "calendar.md").write_text(
        "---\nelections:\n  - id: x\n    name: {en: X}\n    stages:\n"
        "      - {kind: voting-day, date: 2029-01-01, sources: [{id: a, title: KPU RI}]}\n---\n",
        encoding="utf-8",
    )
    _, errors = load_content(root, ["id"], "id")
    assert [e.format(root) for e in errors] == [
        "calendar.md:4: elections.0.name: needs a 'id' name"
    ]


def test_an_expected_stage_has_no_date_and_a_dated_one_no_expected_text(tmp_path: Path) -> None:
    root = tmp_path / "content"
    (root / "id").mkdir(parents=True)
    (root / "facts.yaml").write_text(
        "facts:\n  - id: next\n    value: {id: diperkirakan 2029, en: expected in 2029}\n"
        "    sources: [{id: mk-135, title: Putusan MK 135/PUU-XXII/2024}]\n"
        "    as_of: 2026-12-02\n    review_by: 2027-06-30\n",
        encoding="utf-8",
    )
    calendar = (
        "---\nelections:\n  - id: x\n    name: {id: X, en: X}\n    stages:\n"
        "      - kind: voting-day\n"
        "        expected: {id: '{{fact:next}}', en: '{{fact:next}}'}\n"
        "        sources: [{id: kpu, title: KPU RI}]\n"
        "      - kind: campaign\n"
        "        date: 2029-01-01\n"
        "        expected: {id: kapan-kapan}\n"
        "        sources: [{id: kpu, title: KPU RI}]\n"
        "      - kind: quiet-period\n"
        "        sources: [{id: kpu, title: KPU RI}]\n"
        "---\n"
    )
    (root / "calendar.md").write_text(calendar, encoding="utf-8")
    _, errors = load_content(root, ["id", "en"], "id")
    assert [e.format(root) for e in errors] == [
        "calendar.md:9: elections.0.stages.1: give either a 'date' or, when no date is set yet, "
        "'expected' (never both)",
        "calendar.md:13: elections.0.stages.2: give either a 'date' or, when no date is set yet, "
        "'expected' (never both)",
    ]
    fixed = calendar.replace("        expected: {id: kapan-kapan}\n", "").replace(
        "      - kind: quiet-period\n", "      - kind: quiet-period\n        date: 2028-12-30\n"
    )
    (root / "calendar.md").write_text(fixed, encoding="utf-8")
    store, errors = load_content(root, ["id", "en"], "id")
    assert errors == []
    cal = store.get("calendar", "calendar", "en")
    assert isinstance(cal, Calendar)
    (election,) = cal.elections
    assert election.voting_day is None and election.expected
    assert cal.expected_elections() == [election] and cal.dated() == []
    assert (
        cal.next_election(date(2026, 1, 1)) is None and cal.past_elections(date(2030, 1, 1)) == []
    )
    voting = election.sorted_stages()[-1]
    assert voting.kind == "voting-day"
    assert voting.expected == {"id": "diperkirakan 2029", "en": "expected in 2029"}
    assert [s.id for s in voting.sources] == ["kpu", "mk-135"]
    assert [s.kind for s in election.sorted_stages()] == ["quiet-period", "campaign", "voting-day"]
