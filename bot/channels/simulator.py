"""The terminal simulator: chat with the core over stdin/stdout, no token and no network.

Buttons print as ``[1] Label``; typing the number or the exact label presses it. Lines starting with
``!`` are simulator controls (``!help`` lists them). At a terminal, input has line editing and
history (prompt_toolkit; the history stays in memory, never on disk); piped input is read line by
line. Ctrl-C or Ctrl-D ends the chat with a goodbye, and a line typed but not sent is named, never
dropped silently.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.core.engine import Core
from bot.core.events import (
    ButtonEvent,
    InboundEvent,
    LocationEvent,
    TextEvent,
    UnsupportedEvent,
    UserRef,
)
from bot.core.formatting import to_plain, to_terminal
from bot.core.replies import Button, Reply

CHANNEL = "sim"
CONTROLS = """Simulator controls:
  !location LAT LON   share a location (e.g. !location -6.2 106.8)
  !user ID            switch to another user
  !media KIND [TEXT]  send media the bot can't read (sticker, voice, photo, ...), with a caption
  !outbox             deliver what is queued for simulator users (poll results, notices)
  !help               this list
  !quit               end the chat (so does end of input, Ctrl-D or Ctrl-C)"""
GOODBYE = "Bye! (simulator closed)"


@dataclass(frozen=True)
class Interrupted:
    """Ctrl-C at the prompt, with whatever had been typed and not sent."""

    pending: str


class Simulator:
    def __init__(
        self,
        core: Core,
        *,
        user: str = "local",
        locale: str | None = None,
        out: TextIO = sys.stdout,
        color: bool = False,
        echo: bool = False,
        outbox: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.core, self.user, self.locale, self.out = core, user, locale, out
        #: Sends what the outbox holds for simulator users (see ``votebot chat``).
        self.outbox = outbox
        self.render = to_terminal if color else to_plain
        self.echo = echo
        self.buttons: list[Button] = []
        self._image_dir: Path | None = None
        #: Run after every handled line (``votebot chat`` delivers queued broadcasts here).
        self.after_line: Callable[[], Awaitable[None]] | None = None

    def _print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    @property
    def ref(self) -> UserRef:
        return UserRef(CHANNEL, self.user)

    async def send(self, event: InboundEvent) -> list[Reply]:
        replies = await self.core.handle(event)
        self.show(replies)
        return replies

    def show(self, replies: list[Reply]) -> None:
        self.buttons = []
        for reply in replies:
            if reply.text:
                self._print(self.render(reply.text))
            if reply.image is not None:
                self._print(f"[image: {self._save_image(reply.image.data, reply.image.filename)}]")
                if reply.image.caption:
                    self._print(self.render(reply.image.caption))
            for row in reply.buttons:
                for button in row:
                    self.buttons.append(button)
                    suffix = f" → {button.url}" if button.url else ""
                    self._print(f"[{len(self.buttons)}] {button.label}{suffix}")
            if reply.request_location:
                self._print("(share a location with: !location LAT LON)")
            self._print()

    def print_raw(self, text: str) -> None:
        self._print(text.rstrip("\n") + "\n")

    def arrive(self, replies: list[Reply]) -> None:
        """A message the bot sends on its own (a broadcast) reaches the user typing."""
        self._print(f"📨 (a message arrives for {CHANNEL}:{self.user})")
        self.show(replies)

    def _save_image(self, data: bytes, filename: str) -> str:
        if self._image_dir is None:
            self._image_dir = Path(tempfile.mkdtemp(prefix="votebot-chat-"))
        path = self._image_dir / filename
        path.write_bytes(data)
        return str(path)

    def _find_button(self, line: str) -> Button | None:
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return self.buttons[int(text) - 1]
        for button in self.buttons:
            if button.label.strip().casefold() == text.casefold() and text:
                return button
        return None

    async def feed(self, line: str) -> bool:
        """Handle one input line; return False when the chat should end."""
        line = line.rstrip("\r\n")
        if self.echo:
            self._print(f"> {line}")
        if line.startswith("!"):
            return await self._control(line)
        button = self._find_button(line)
        if button is not None and button.url:
            self._print(f"(opens {button.url})\n")
            return True
        lang = self.locale
        if button is not None and button.payload is not None:
            await self.send(ButtonEvent(user=self.ref, language_code=lang, payload=button.payload))
        else:
            await self.send(TextEvent(user=self.ref, language_code=lang, text=line))
        return True

    async def _control(self, line: str) -> bool:
        try:
            words = shlex.split(line[1:])
        except ValueError:
            words = line[1:].split()
        cmd, args = (words[0].lower(), words[1:]) if words else ("help", [])
        lang = self.locale
        if cmd in ("quit", "exit", "q"):
            return False
        if cmd == "location" and len(args) == 2:
            try:
                lat, lon = float(args[0].rstrip(",")), float(args[1])
            except ValueError:
                lat = lon = float("nan")
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                await self.send(
                    LocationEvent(user=self.ref, language_code=lang, latitude=lat, longitude=lon)
                )
                return True
            self._print("usage: !location LAT LON (decimal degrees, e.g. !location -6.2 106.8)\n")
            return True
        if cmd == "user" and len(args) == 1:
            self.user, self.buttons = args[0], []
            self._print(f"(now chatting as {CHANNEL}:{self.user})\n")
            return True
        if cmd == "outbox" and self.outbox is not None:
            sent = await self.outbox()
            self._print(f"({sent} queued message(s) delivered)\n")
            return True
        if cmd == "media" and args:
            caption = " ".join(args[1:]) or None
            await self.send(
                UnsupportedEvent(
                    user=self.ref, language_code=lang, kind=args[0].lower(), caption=caption
                )
            )
            return True
        self._print(CONTROLS + "\n")
        return True

    async def run(self, stdin: TextIO = sys.stdin) -> None:
        interactive = stdin.isatty()
        read = self._terminal_reader() if interactive else None
        if interactive:
            self._print("Teman Pemilih simulator. Type /start to begin, !help for controls.\n")
        while True:
            if read is not None:
                got = await read()
                if isinstance(got, Interrupted) or got is None:
                    pending = got.pending.strip() if isinstance(got, Interrupted) else ""
                    if pending:
                        self._print(f"(not sent: “{pending}”)")
                    self._print(GOODBYE)
                    return
                line = got
            else:
                line = await asyncio.to_thread(stdin.readline)
                if not line:
                    return
            if not await self.feed(line):
                if read is not None:
                    self._print(GOODBYE)
                return
            if self.after_line is not None:
                await self.after_line()

    def _terminal_reader(self) -> Callable[[], Awaitable[str | Interrupted | None]]:
        """A prompt with line editing and in-memory history; Ctrl-C hands back the typed text."""
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory
        from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

        bindings = KeyBindings()

        @bindings.add("c-c")
        def _interrupt(event: KeyPressEvent) -> None:
            event.app.exit(result=Interrupted(event.current_buffer.text))

        session: PromptSession[str | Interrupted] = PromptSession(
            history=InMemoryHistory(), key_bindings=bindings
        )

        async def read() -> str | Interrupted | None:
            try:
                return await session.prompt_async("you> ")
            except (EOFError, KeyboardInterrupt):
                return None

        return read


class SimulatorChannel:
    """Delivers outbox messages for ``sim`` users into the simulator's transcript."""

    name = CHANNEL

    def __init__(self, sim: Simulator) -> None:
        self.sim, self.sent = sim, 0

    async def send(self, external_id: str, replies: Sequence[Reply]) -> None:
        self.sim._print(f"(message for {CHANNEL}:{external_id})")
        self.sim.show(list(replies))
        self.sent += 1
