"""The election calendar: content checks and the countdown with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

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
    assert "Take the pledge" in d.buttons[0]


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


async def test_no_scheduled_voting_day_shows_the_last_ones(runtime: Runtime) -> None:
    at(runtime, datetime(2026, 1, 1, tzinfo=UTC))
    d = Dialog(runtime.core, language_code="en")
    await d.say("/jadwal")
    assert "No voting day is scheduled yet" in d.text
    text = d.text
    assert text.index("Pilkada") < text.index("2024 general election")
    assert "Voting day: November 27, 2024" in text and "Voting day: February 14, 2024" in text


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
        "voter-list-set, registration-check, campaign, move-deadline, quiet-period, voting-day)"
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
