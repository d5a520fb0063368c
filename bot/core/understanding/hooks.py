"""Where other modules hear what the understanding layer could not answer.

Helper modules (e.g. the team's private unanswered-questions queue) register with
:func:`on_unanswered`; hooks run inside the event's transaction, after the reply is composed.
``text`` is what the user typed: a hook that keeps it must scrub it first (NIKs, phone numbers,
e-mail addresses, links) and must not link it to the user unless they asked to be told.

Reasons:

- ``low`` — nothing matched well enough (the honest "I can't answer that yet" was sent);
- ``out_of_scope`` — an off-topic question (answered with "not my topic");
- ``not_helpful`` — 👎 on an answer; ``text`` is empty (we keep no typed text between messages)
  and ``understanding.best`` is the answer that did not help.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.core.understanding.model import Understanding

if TYPE_CHECKING:
    from bot.core.context import Context

log = logging.getLogger(__name__)

UnansweredHook = Callable[["Context", str, Understanding, str], Awaitable[None]]

_hooks: list[UnansweredHook] = []


def on_unanswered(hook: UnansweredHook) -> UnansweredHook:
    """Register ``hook(ctx, text, understanding, reason)`` (usable as a decorator)."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def remove_hook(hook: UnansweredHook) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


async def unanswered(ctx: Context, text: str, understanding: Understanding, reason: str) -> None:
    for hook in list(_hooks):
        await hook(ctx, text, understanding, reason)
