"""Links to the public results page (``VOTEBOT_PUBLIC_URL``); None when it is not set."""

from __future__ import annotations

from bot.config import Settings

RESULTS_PATH = "/hasil"


def results_link(settings: Settings, poll_id: str | None) -> str | None:
    base = settings.public_url
    if not base:
        return None
    url = base.rstrip("/") + RESULTS_PATH
    return f"{url}/{poll_id}" if poll_id else url
