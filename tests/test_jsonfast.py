"""bot.core.jsonfast writes what the standard library wrote, and reads it back."""

from __future__ import annotations

import json

from bot.core import jsonfast


def test_round_trips_what_json_accepts() -> None:
    for value in [
        {"text": "Halo 👋 é", "n": [1, 2.5, None, True], "nested": {"k": "v"}},
        {"lone": "x\ud800y"},  # a client's broken emoji: orjson refuses it, json writes an escape
        {"big": 2**70},  # beyond 64 bits: orjson refuses it
        {1: "integer key"},
    ]:
        text = jsonfast.dumps(value)
        assert jsonfast.loads(text) == json.loads(json.dumps(value))
        assert json.loads(text) == json.loads(json.dumps(value))
        body = jsonfast.encode(value)  # a request body: the same JSON as UTF-8 bytes
        assert json.loads(body.decode("utf-8")) == json.loads(json.dumps(value))


def test_reads_the_ascii_escaped_json_stored_before() -> None:
    stored = json.dumps({"replies": [{"text": "Halo 👋 \ud800"}]}, ensure_ascii=True)
    assert jsonfast.loads(stored) == {"replies": [{"text": "Halo 👋 \ud800"}]}
