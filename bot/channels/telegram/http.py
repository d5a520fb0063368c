"""python-telegram-bot's HTTP layer on aiohttp instead of httpx.

Every update costs one or two Bot API calls (the reply, an answered button), and the server
already runs aiohttp; its client parses HTTP in C and has fewer layers than httpx, httpcore and
anyio. Measured in ``bench/throughput_bench.py``'s mix, the HTTP layer was about a sixth of the
CPU of an update. Parameters go as one JSON body (which the Bot API accepts, and which orjson
writes faster than a form is URL-encoded); an upload goes as multipart, the way
python-telegram-bot's own ``HTTPXRequest`` sends it.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import aiohttp
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.core import jsonfast

#: The type of python-telegram-bot's "argument not given" marker (``BaseRequest.DEFAULT_NONE``).
_NOT_GIVEN = type(BaseRequest.DEFAULT_NONE)

_JSON = {"Content-Type": "application/json"}

#: Connections kept to the Bot API (python-telegram-bot's default for an application's bot).
POOL_SIZE = 256


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` on one :class:`aiohttp.ClientSession`.

    Timeouts mean what they mean for ``HTTPXRequest``: ``connect_timeout`` covers waiting for
    a free connection and connecting, ``read_timeout`` a pause while reading the answer (for
    an upload, the longer of it and ``media_write_timeout``: aiohttp has no write timeout). A
    timeout raises :class:`telegram.error.TimedOut`, any other transport failure
    :class:`telegram.error.NetworkError`, so callers' retry rules are unchanged.
    """

    def __init__(
        self,
        *,
        pool_size: int = POOL_SIZE,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._shut = False

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        self._shut = False
        self._open()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # python-telegram-bot reads the status and body itself (errors included).
                raise_for_status=False,
                # HTTP(S)_PROXY and NO_PROXY are honoured, as httpx did; looked up per request
                # only when one is set.
                trust_env=bool(urllib.request.getproxies()),
            )
        return self._session

    async def shutdown(self) -> None:
        self._shut = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """The Bot API's answer, read by orjson (python-telegram-bot invites this override):
        a ``getUpdates`` batch of 100 updates is one large JSON document."""
        try:
            data = jsonfast.loads(payload.decode("utf-8", "replace"))
        except ValueError as exc:
            raise TelegramError("Invalid server response") from exc
        if not isinstance(data, dict):
            raise TelegramError("Invalid server response")
        return data

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._shut:
            raise RuntimeError("This AiohttpRequest was shut down")
        # Like python-telegram-bot's own layer, usable before initialize() (a sender that
        # never starts the application, e.g. a broadcast worker): the session opens on use.
        session = self._open()
        files = request_data.multipart_data if request_data is not None else None
        read = _seconds(read_timeout, self._read_timeout)
        if files:
            # aiohttp has no write timeout, and the answer to an upload comes after the whole
            # file: an upload may take the write timeout too before the answer is late.
            read = _longest(read, _seconds(write_timeout, self._media_write_timeout))
        timeout = aiohttp.ClientTimeout(
            total=None, connect=_seconds(connect_timeout, self._connect_timeout), sock_read=read
        )
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData(request_data.json_parameters)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                body = form
            else:
                body = jsonfast.encode(request_data.parameters)
                headers = _JSON
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as res:
                return res.status, await res.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout argument: python-telegram-bot's "not given" marker means the default."""
    if isinstance(value, _NOT_GIVEN):
        return default
    return float(value) if isinstance(value, int | float) else None


def _longest(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return max(a, b)
