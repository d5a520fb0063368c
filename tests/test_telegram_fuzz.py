"""Fuzzing the Telegram adapter: random texts, callback payloads and malformed updates.

The fast in-process path: each generated update is decoded and handed to the running channel's
``handle_update`` directly (no getUpdates round trip); replies still go over HTTP to the fake Bot
API. Nothing may end in the channel's error path, and every private message gets an answer.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fake_telegram import FakeBotAPI
from tests.telegram_harness import Harness, running

EXAMPLES = 300
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Distinct users so that flood control (on, as in production) never silences an example.
_users = itertools.count(10_000)


class ErrorRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def live_channel(db_url: str) -> Iterator[tuple[asyncio.Runner, Harness, ErrorRecorder]]:
    """A started channel on its own event loop, so hypothesis can drive it synchronously."""
    recorder = ErrorRecorder()
    logging.getLogger("bot").addHandler(recorder)
    with asyncio.Runner() as runner:
        api = runner.run(FakeBotAPI().__aenter__())
        ctx = running(db_url, api, flood=True)
        harness = runner.run(ctx.__aenter__())
        try:
            yield runner, harness, recorder
        finally:
            runner.run(ctx.__aexit__(None, None, None))
            runner.run(api.__aexit__(None, None, None))
            logging.getLogger("bot").removeHandler(recorder)


def feed(runner: asyncio.Runner, h: Harness, data: object) -> None:
    update = h.channel.decode(data)
    if update is not None:
        runner.run(h.channel.handle_update(update))


def answered(h: Harness, chat_id: int) -> bool:
    return bool(h.api.replies(chat_id))


def check_fuzz(db_url: str, strategy: st.SearchStrategy[Any], case: Callable[..., None]) -> None:
    with live_channel(db_url) as (runner, h, recorder):

        @FUZZ
        @given(strategy)
        def run(value: Any) -> None:
            case(runner, h, value)

        run()
        assert recorder.records == [], [r.getMessage() for r in recorder.records[:3]]


def test_random_texts_are_all_answered(db_url: str) -> None:
    def case(runner: asyncio.Runner, h: Harness, text: str) -> None:
        user = next(_users)
        feed(runner, h, h.api.message_update(text, user))
        assert answered(h, user), repr(text)
        for call in h.api.replies(user):
            assert call.text.strip()

    texts = st.one_of(
        st.text(min_size=1, max_size=300),
        st.text(alphabet="/@_ abc<>&*[]()1234567890", min_size=1, max_size=40),
        st.sampled_from(["/start ref_x", "/bahasa en", "/ ", "//", "/start@x", "menu"]),
    )
    check_fuzz(db_url, texts, case)


def test_random_callback_payloads_are_answered(db_url: str) -> None:
    def case(runner: asyncio.Runner, h: Harness, data: str) -> None:
        user = next(_users)
        update = h.api.callback_update(data, user)
        feed(runner, h, update)
        answers = h.api.calls("answerCallbackQuery")
        assert answers[-1].params["callback_query_id"] == update["callback_query"]["id"]
        assert answered(h, user), repr(data)

    payloads = st.one_of(
        st.text(min_size=1, max_size=64).filter(lambda s: len(s.encode()) <= 64),
        st.builds(
            ":".join,
            st.lists(
                st.sampled_from(["lang", "set", "id", "en", "menu", "sec", "page", "optin", ""]),
                min_size=1,
                max_size=5,
            ),
        ),
    )
    check_fuzz(db_url, payloads, case)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
MESSAGE_KEYS = ["text", "chat", "from", "date", "message_id", "location", "sticker", "caption"]


@st.composite
def malformed_updates(draw: st.DrawFn) -> object:
    """Valid-looking updates with fields dropped or replaced, and plain random JSON."""
    if draw(st.booleans()):
        return draw(JSON)
    user = next(_users)
    kind = draw(st.sampled_from(["message", "callback_query", "edited_message", "my_chat_member"]))
    api = FakeBotAPI()
    base = (
        api.callback_update("menu", user)
        if kind == "callback_query"
        else api.message_update("hai", user)
    )
    body = base.pop("callback_query" if kind == "callback_query" else "message")
    target = body.get("message", body) if kind == "callback_query" else body
    for key in draw(st.lists(st.sampled_from(MESSAGE_KEYS), max_size=3)):
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(JSON)
    base[kind] = body
    base["update_id"] = draw(st.one_of(st.integers(1, 2**40), JSON))
    return base


def test_malformed_updates_never_escape_the_adapter(db_url: str) -> None:
    def case(runner: asyncio.Runner, h: Harness, data: object) -> None:
        feed(runner, h, data)

    check_fuzz(db_url, malformed_updates(), case)


@pytest.mark.parametrize("limit", [50, 4096])
def test_split_html_fuzz(limit: int) -> None:
    from html.parser import HTMLParser

    from bot.channels.telegram.render import split_html, utf16_len
    from bot.core.formatting import to_telegram_html

    @FUZZ
    @given(st.text(alphabet=st.sampled_from("ab *_[]()\n&<>🗳️é"), max_size=600))
    def run(markdown: str) -> None:
        rendered = to_telegram_html(markdown)
        chunks = split_html(rendered, limit)
        for chunk in chunks:
            assert chunk.strip()
            if utf16_len(chunk) > limit:
                # Only an indivisible tag may overflow (a link longer than the limit).
                assert "<a " in chunk
            HTMLParser().feed(chunk)
            assert chunk.count("<b>") == chunk.count("</b>")
            assert chunk.count("<i>") == chunk.count("</i>")

    run()
