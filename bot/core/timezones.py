"""Indonesia's three time zones, from the IANA database (``zoneinfo``), by their short names."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

#: WIB (UTC+7), WITA (UTC+8), WIT (UTC+9); a province row stores one of these names.
ZONES = {
    "WIB": ZoneInfo("Asia/Jakarta"),
    "WITA": ZoneInfo("Asia/Makassar"),
    "WIT": ZoneInfo("Asia/Jayapura"),
}
DEFAULT_TZ = "WIB"
WIB = ZONES["WIB"]
#: The zone where a new day starts first (a "before voting day" time holds everywhere there).
EARLIEST = ZONES["WIT"]


def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name``, else WIB (where most voters live)."""
    return ZONES.get(name or DEFAULT_TZ, WIB)


def wall_clock(now: datetime, name: str | None) -> datetime:
    """``now`` as the wall-clock time in zone ``name``, labelled UTC (for comparing with
    wall-clock times stored in UTC columns)."""
    return now.astimezone(zone(name)).replace(tzinfo=UTC)


def from_wall_clock(wall: datetime, name: str | None) -> datetime:
    """The UTC instant when zone ``name``'s clocks show ``wall`` (a UTC-labelled wall time)."""
    return wall.replace(tzinfo=zone(name)).astimezone(UTC)
