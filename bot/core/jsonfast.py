"""JSON for the hot path: orjson where it can, the standard library where it cannot.

Every handled message stores its replies as JSON and writes JSON columns (the engagement log's
properties, the conversation state); ``json.dumps`` was about a tenth of the core's CPU on a
menu press. orjson writes the same JSON several times faster. It refuses a few things the
standard library accepts (a lone UTF-16 surrogate, an integer too large for 64 bits); those
values take the standard library's path, so what can be stored is unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def encode(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes (non-ASCII written as is; a lone surrogate as an escape)."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def dumps(value: Any) -> str:
    """:func:`encode` as text (a stored column)."""
    return encode(value).decode("utf-8")


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # e.g. an escaped lone surrogate, which orjson refuses and json reads back as written
        return json.loads(text)
