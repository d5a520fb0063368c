"""The report's period and privacy rules: Jakarta days, the smallest cell shown, rates.

Dates are Asia/Jakarta (WIB) calendar days, from the IANA zone database (``zoneinfo``; Jakarta
keeps UTC+7 all year); a period is ``since`` 00:00 WIB up to the end of ``until`` (both
inclusive). Any regional cell (a province or kabupaten/kota) counting fewer than
:data:`MIN_CELL` users is suppressed: its count is ``None`` and its row says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.core.i18n import N_
from bot.core.timezones import WIB

#: The smallest regional cell a report shows; smaller ones are suppressed.
MIN_CELL = 10
#: The fewest people who must have answered a question before it is ranked "hardest".
MIN_SAMPLE = 5
#: What a suppressed cell shows in tables, CSV and the dashboard.
SUPPRESSED = "<10"
#: The province of people with no (or an unknown) area; translated where it is shown.
UNKNOWN = N_("(unknown)")
#: The report's sections, in order (and the keys of ``--format json``).
SECTIONS = ("users", "quizzes", "pledges", "tps", "reports", "broadcasts", "referrals")


class DateError(ValueError):
    """A DATE that is not YYYY-MM-DD, or a range that ends before it starts."""


#: The simulator's channel: its users are left out of reports on real data.
SIMULATOR = "sim"


def parse_day(value: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DateError(
            f"{what}: {value!r} is not a date; use YYYY-MM-DD (a Jakarta day), e.g. 2024-02-14"
        ) from None


def today() -> date:
    """Today in Jakarta."""
    return datetime.now(UTC).astimezone(WIB).date()


@dataclass(frozen=True)
class Period:
    """Jakarta days ``since`` … ``until``, both included; ``since=None``: from the beginning."""

    since: date | None
    until: date

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None) -> Period:
        start = parse_day(since, "--since") if since else None
        end = parse_day(until, "--until") if until else today()
        if start is not None and start > end:
            raise DateError(f"--since {start} is after --until {end}")
        return cls(start, end)

    @property
    def start(self) -> datetime | None:
        if self.since is None:
            return None
        return datetime.combine(self.since, time(), WIB).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.until + timedelta(days=1), time(), WIB).astimezone(UTC)

    def label(self) -> str:
        return f"{self.since or 'start'} … {self.until} (Asia/Jakarta days)"


def suppress(count: int) -> tuple[int | None, bool]:
    """A regional cell's count, or ``None`` (suppressed) under :data:`MIN_CELL`."""
    return (None, True) if 0 < count < MIN_CELL else (count, False)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def report_meta(period: Period) -> dict[str, Any]:
    return {
        "since": None if period.since is None else period.since.isoformat(),
        "until": period.until.isoformat(),
        "timezone": "Asia/Jakarta",
        "min_cell": MIN_CELL,
    }
