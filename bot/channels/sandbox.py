"""The sandbox's channel: simulator users (channel ``sim``) receive broadcasts and notifications.

Simulator users have no platform behind them, so a message sent to one is printed the way it would
arrive: a header naming the recipient, the text as the simulator shows it, and its buttons. In
``votebot chat`` the message goes to the simulator's terminal (pressable when it is for the user
typing); in ``votebot serve --sandbox`` and ``votebot broadcast run --sandbox`` it is printed on
stdout. The channel exists only in the sandbox (``--sandbox``, or ``votebot chat``), so real data
never holds simulator users to deliver to.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from bot.channels.base import Channel
from bot.config import Settings
from bot.core.formatting import to_plain
from bot.core.replies import Reply
from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.channels.simulator import Simulator

CHANNEL = "sim"


def render_delivery(
    external_id: str, replies: Sequence[Reply], render: Callable[[str], str] = to_plain
) -> str:
    """What a simulator user receives, as lines of text (one message, its buttons)."""
    lines = [f"📨 to {CHANNEL}:{external_id}:"]
    for reply in replies:
        if reply.text:
            lines.extend("  " + line if line else "" for line in render(reply.text).splitlines())
        if reply.image is not None:
            lines.append(f"  [image: {reply.image.filename}]")
        labels = [b.label for row in reply.buttons for b in row]
        if labels:
            lines.append("  " + "  ".join(f"[{label}]" for label in labels))
    return "\n".join(lines) + "\n"


class SandboxChannel(Channel):
    name: ClassVar[str] = CHANNEL

    def __init__(
        self,
        runtime: Runtime,
        *,
        simulator: Simulator | None = None,
        out: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(runtime)
        self.simulator = simulator
        self.out = out or self._stdout
        self.delivered = 0

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        return settings.sandbox

    @staticmethod
    def _stdout(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    async def start(self) -> None:
        self.runtime.core.senders[self.name] = self.notify

    async def stop(self) -> None:
        if self.runtime.core.senders.get(self.name) == self.notify:
            del self.runtime.core.senders[self.name]

    async def notify(self, external_id: str, replies: list[Reply]) -> None:
        """The core's sender for notifications (an admin's approval request, ...)."""
        await self.send(external_id, replies)

    async def send(self, external_id: str, replies: Sequence[Reply]) -> str:
        self.delivered += 1
        sim = self.simulator
        if sim is not None and external_id == sim.user:
            sim.arrive(list(replies))  # the person typing gets it in their chat, buttons and all
        elif sim is not None:
            sim.print_raw(render_delivery(external_id, replies, sim.render))
        else:
            self.out(render_delivery(external_id, replies))
        return f"sim-{uuid.uuid4().hex[:12]}"
