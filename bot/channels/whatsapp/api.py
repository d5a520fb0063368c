"""A small Graph API client for the WhatsApp Cloud API (messages and media) over aiohttp.

Every failure becomes a :class:`GraphError` carrying the HTTP status and the Graph ``error.code``;
the channel decides what it means. The access token travels only in the ``Authorization``
header and is never logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from yarl import URL

log = logging.getLogger(__name__)

#: Graph error codes that mean "slow down": throughput (130429), the per-user pair limit (131056),
#: and the app- and account-level call limits (4, 80007).
RATE_LIMIT_CODES = frozenset({130429, 131056, 4, 80007})
PAIR_RATE_LIMIT = 131056
#: Temporary platform trouble: unknown/service errors and "service unavailable".
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016})
UNDELIVERABLE = 131026
REENGAGEMENT = 131047
#: Seconds to wait when WhatsApp rate-limits us and sends no Retry-After (the pair limit allows
#: roughly one message every six seconds to the same user).
DEFAULT_RETRY_AFTER = {131056: 6.0}
FALLBACK_RETRY_AFTER = 5.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


class GraphError(Exception):
    """A failed Graph API call. ``status`` 0 means no HTTP answer at all (network error)."""

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        details: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            f"HTTP {status} code {code}: {message}" + (f" ({details})" if details else "")
        )
        self.status, self.code, self.message, self.details = status, code, message, details
        self.retry_after = retry_after

    @property
    def rate_limited(self) -> bool:
        return self.code in RATE_LIMIT_CODES or (self.status == 429 and self.code is None)

    @property
    def fleet_wide(self) -> bool:
        """A limit on the whole number, not on one chat (the pair limit, 131056, is per user)."""
        return self.rate_limited and self.code != PAIR_RATE_LIMIT

    @property
    def transient(self) -> bool:
        """A network error, a 5xx or a temporary platform error: worth retrying as is."""
        if self.rate_limited:
            return False
        return self.status == 0 or self.status >= 500 or self.code in TRANSIENT_CODES

    @property
    def wait(self) -> float:
        """How long to wait before retrying a rate-limited call."""
        if self.retry_after is not None:
            return self.retry_after
        return DEFAULT_RETRY_AFTER.get(self.code or 0, FALLBACK_RETRY_AFTER)


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


async def _error_from(resp: aiohttp.ClientResponse) -> GraphError:
    try:
        data = json.loads(await resp.text())
    except (ValueError, UnicodeDecodeError, aiohttp.ClientError):
        data = {}
    err = data.get("error") if isinstance(data, dict) else None
    err = err if isinstance(err, dict) else {}
    code = err.get("code")
    details = (
        err.get("error_data", {}).get("details", "")
        if isinstance(err.get("error_data"), dict)
        else ""
    )
    return GraphError(
        resp.status,
        code if isinstance(code, int) else None,
        str(err.get("message") or resp.reason or "error")[:300],
        str(details)[:300],
        _retry_after(resp.headers),
    )


class GraphAPI:
    """``POST /{phone_number_id}/messages``, media upload and media download."""

    def __init__(self, base_url: str, phone_number_id: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self._token = token
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=REQUEST_TIMEOUT, headers={"Authorization": f"Bearer {self._token}"}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self.session.request(method, url, **kwargs) as resp:
                if resp.status >= 400:
                    raise await _error_from(resp)
                data = await resp.json(content_type=None)
        except GraphError:
            raise
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise GraphError(0, None, f"{type(exc).__name__}: {exc}"[:300]) from None
        if not isinstance(data, dict):
            raise GraphError(502, None, "the Graph API answered with something other than JSON")
        return data

    async def send_message(self, to: str, message: dict[str, Any]) -> str:
        """Send one message; return its id (``wamid.…``)."""
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            **message,
        }
        data = await self._json(
            "POST", f"{self.base_url}/{self.phone_number_id}/messages", json=body
        )
        messages = data.get("messages")
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
            raise GraphError(502, None, "the Graph API did not return a message id")
        return str(messages[0].get("id", ""))

    async def upload_media(self, data: bytes, filename: str, mime_type: str) -> str:
        """Upload a file for sending; return its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=filename, content_type=mime_type)
        result = await self._json(
            "POST", f"{self.base_url}/{self.phone_number_id}/media", data=form
        )
        media_id = result.get("id")
        if not media_id:
            raise GraphError(502, None, "the Graph API did not return a media id")
        return str(media_id)

    async def download_media(self, media_id: str, max_bytes: int) -> bytes | None:
        """The bytes of a user's media, or ``None`` when it is larger than ``max_bytes``."""
        info = await self._json("GET", f"{self.base_url}/{media_id}")
        url, size = info.get("url"), info.get("file_size")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise GraphError(502, None, "the media has no download URL")
        if not (url.startswith("https://") or URL(url).origin() == URL(self.base_url).origin()):
            # The access token travels with every request of this session: never in clear text
            # to anyone but the configured API itself.
            raise GraphError(502, None, "refusing a media URL that is not https")
        if isinstance(size, int) and size > max_bytes:
            return None
        try:
            async with self.session.get(url) as resp:
                if resp.status >= 400:
                    raise await _error_from(resp)
                chunks: list[bytes] = []
                total = 0
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    total += len(chunk)
                    if total > max_bytes:
                        return None
                    chunks.append(chunk)
        except GraphError:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphError(0, None, f"{type(exc).__name__}: {exc}"[:300]) from None
        return b"".join(chunks)
