"""Dialog tests that read like a conversation (after zulip_bots' ``verify_dialog``).

d = Dialog(core)
await d.say("/start")
assert "Teman Pemilih" in d.text
await d.press("English")
"""

from __future__ import annotations

from bot.core.engine import Core
from bot.core.events import (
    ButtonEvent,
    InboundEvent,
    LocationEvent,
    TextEvent,
    UnsupportedEvent,
    UserRef,
)
from bot.core.formatting import to_plain
from bot.core.replies import Button, Reply


class Dialog:
    def __init__(
        self, core: Core, user: str = "u1", channel: str = "test", language_code: str | None = "id"
    ) -> None:
        self.core = core
        self.ref = UserRef(channel, user)
        self.language_code = language_code
        self.replies: list[Reply] = []
        self.history: list[tuple[str, list[Reply]]] = []

    async def send(self, event: InboundEvent, label: str) -> list[Reply]:
        self.replies = await self.core.handle(event)
        self.history.append((label, self.replies))
        return self.replies

    async def say(self, text: str) -> list[Reply]:
        event = TextEvent(user=self.ref, language_code=self.language_code, text=text)
        return await self.send(event, text)

    async def press(self, label: str) -> list[Reply]:
        """Press the button whose label is ``label`` (or, failing that, contains it)."""
        return await self.tap(self.button(label).payload or "")

    async def tap(self, payload: str) -> list[Reply]:
        event = ButtonEvent(user=self.ref, language_code=self.language_code, payload=payload)
        return await self.send(event, f"[{payload}]")

    async def location(self, lat: float, lon: float) -> list[Reply]:
        event = LocationEvent(
            user=self.ref, language_code=self.language_code, latitude=lat, longitude=lon
        )
        return await self.send(event, f"!location {lat} {lon}")

    async def media(
        self, kind: str, data: bytes | None = None, caption: str | None = None
    ) -> list[Reply]:
        event = UnsupportedEvent(
            user=self.ref, language_code=self.language_code, kind=kind, data=data, caption=caption
        )
        return await self.send(event, f"!media {kind}" + (f" {caption}" if caption else ""))

    def button(self, label: str) -> Button:
        buttons = [b for r in self.replies for b in r.all_buttons()]
        for b in buttons:
            if b.label == label:
                return b
        for b in buttons:
            if label.casefold() in b.label.casefold():
                return b
        raise AssertionError(f"no button {label!r}; buttons: {[b.label for b in buttons]}")

    @property
    def text(self) -> str:
        return "\n\n".join(to_plain(r.text) for r in self.replies if r.text)

    @property
    def buttons(self) -> list[str]:
        return [b.label for r in self.replies for b in r.all_buttons()]

    @property
    def payloads(self) -> list[str]:
        return [b.payload for r in self.replies for b in r.all_buttons() if b.payload]

    def transcript(self) -> str:
        lines = []
        for said, replies in self.history:
            lines.append(f"> {said}")
            lines.extend(to_plain(r.text) for r in replies if r.text)
        return "\n".join(lines)
