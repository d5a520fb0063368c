"""Where each inbound event goes. Flows register their handlers here, in one place per flow.

Order of dispatch (see :meth:`bot.core.engine.Core.dispatch`):

1. commands (``/name``), also when typed as text;
2. button payloads ``route:arg:arg`` (unknown routes are stale buttons);
3. text, locations and media go to the flow the user is in (``state.flow``), if it takes them;
4. then keywords (``menu``, ``halo``, ...), text patterns, the location handler;
5. other text goes to the free-text handler (the understanding layer: FAQ answers, intents);
   anything left ends at the fallback.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.core.context import Context

CommandHandler = Callable[["Context", tuple[str, ...]], Awaitable[None]]
ButtonHandler = Callable[["Context", list[str]], Awaitable[None]]
#: Gets the event (text, location or media) while the user is in a flow; returns False to pass.
StateHandler = Callable[["Context", Any], Awaitable[bool]]
SimpleHandler = Callable[["Context"], Awaitable[None]]
#: Gets typed text nothing else took; replies itself (True when it could answer).
FreeTextHandler = Callable[["Context", str], Awaitable[bool]]
PatternHandler = Callable[["Context", "re.Match[str]"], Awaitable[None]]
#: Runs when a typed cancel or stop word ends a flow (before its state is cleared); may return a
#: short note that replaces the generic "Okay, cancelled." (see bot.core.typed).
ExitHandler = Callable[["Context"], Awaitable[str | None]]


class StaleButton(Exception):
    """Raised by a button handler when a button belongs to an earlier conversation step."""


@dataclass(frozen=True)
class CommandInfo:
    name: str
    handler: CommandHandler
    #: A short description (marked with N_ and translated when shown); empty hides it from help.
    description: str = ""
    #: Other names; the first is the English name (``/janji`` → ``/pledge``), shown to users of
    #: every language but Indonesian in help and in Telegram's command menu.
    aliases: tuple[str, ...] = ()
    order: int = 100

    def name_for(self, locale: str) -> str:
        """The command as a user of ``locale`` types it (the name is Indonesian)."""
        return self.name if locale == "id" or not self.aliases else self.aliases[0]


@dataclass
class Router:
    commands: dict[str, CommandInfo] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    states: dict[str, StateHandler] = field(default_factory=dict)
    keywords: dict[str, SimpleHandler] = field(default_factory=dict)
    patterns: list[tuple[re.Pattern[str], PatternHandler]] = field(default_factory=list)
    deep_links: dict[str, CommandHandler] = field(default_factory=dict)
    location_handler: StateHandler | None = None
    fallback_handler: SimpleHandler | None = None
    free_text_handler: FreeTextHandler | None = None
    #: flow → the steps at which it takes media (a photo's bytes), see :meth:`takes_media`.
    media_steps: dict[str, frozenset[str]] = field(default_factory=dict)
    #: flow → what to do when a typed cancel/stop word ends it, see :meth:`on_exit`.
    exits: dict[str, ExitHandler] = field(default_factory=dict)

    def command(
        self, name: str, *, description: str = "", aliases: tuple[str, ...] = (), order: int = 100
    ) -> Callable[[CommandHandler], CommandHandler]:
        def deco(fn: CommandHandler) -> CommandHandler:
            info = CommandInfo(name, fn, description, aliases, order)
            for key in (name, *aliases):
                if key in self.commands:
                    raise ValueError(f"command /{key} registered twice")
                self.commands[key] = info
            return fn

        return deco

    def button(self, route: str) -> Callable[[ButtonHandler], ButtonHandler]:
        def deco(fn: ButtonHandler) -> ButtonHandler:
            if route in self.buttons or ":" in route:
                raise ValueError(f"bad or duplicate button route {route!r}")
            self.buttons[route] = fn
            return fn

        return deco

    def state(
        self, flow: str, *, media_steps: tuple[str, ...] = ()
    ) -> Callable[[StateHandler], StateHandler]:
        """Handle text, locations and media while the user is in ``flow``.

        ``media_steps`` names the steps at which the flow reads media bytes (e.g. a photo for a
        report); channels download media only then (see :meth:`takes_media`).
        """

        def deco(fn: StateHandler) -> StateHandler:
            self.states[flow] = fn
            if media_steps:
                self.media_steps[flow] = frozenset(media_steps)
            return fn

        return deco

    def on_exit(self, flow: str) -> Callable[[ExitHandler], ExitHandler]:
        """Clean up when a typed cancel or stop word ends ``flow``; may return the note to show."""

        def deco(fn: ExitHandler) -> ExitHandler:
            self.exits[flow] = fn
            return fn

        return deco

    def takes_media(self, flow: str | None, step: str | None) -> bool:
        """Whether a user at ``flow``/``step`` is asked for media (so a channel should fetch it)."""
        return flow is not None and step is not None and step in self.media_steps.get(flow, ())

    def keyword(self, *words: str) -> Callable[[SimpleHandler], SimpleHandler]:
        def deco(fn: SimpleHandler) -> SimpleHandler:
            for word in words:
                key = normalise_keyword(word)
                if not key:
                    raise ValueError(f"keyword {word!r} is empty once normalised")
                self.keywords[key] = fn
            return fn

        return deco

    def pattern(self, regex: str) -> Callable[[PatternHandler], PatternHandler]:
        """Handle text matching ``regex`` (full match, case-insensitive), e.g. ``ref CODE``."""
        compiled = re.compile(regex, re.IGNORECASE)

        def deco(fn: PatternHandler) -> PatternHandler:
            self.patterns.append((compiled, fn))
            return fn

        return deco

    def deep_link(self, prefix: str) -> Callable[[CommandHandler], CommandHandler]:
        """Handle ``/start PREFIX…`` deep links (e.g. ``ref_`` referral codes)."""

        def deco(fn: CommandHandler) -> CommandHandler:
            self.deep_links[prefix] = fn
            return fn

        return deco

    def location(self, fn: StateHandler) -> StateHandler:
        self.location_handler = fn
        return fn

    def free_text(self, fn: FreeTextHandler) -> FreeTextHandler:
        self.free_text_handler = fn
        return fn

    def fallback(self, fn: SimpleHandler) -> SimpleHandler:
        self.fallback_handler = fn
        return fn

    def visible_commands(self) -> list[CommandInfo]:
        """Commands with a description, once each, in menu order (for help and setMyCommands)."""
        seen: dict[str, CommandInfo] = {}
        for info in self.commands.values():
            if info.description and info.name not in seen:
                seen[info.name] = info
        return sorted(seen.values(), key=lambda c: (c.order, c.name))


def normalise_keyword(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form used to match keywords."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in folded if c.isalnum() or c.isspace())
    return " ".join(kept.split())


def payload(route: str, *args: str | int) -> str:
    """Build a button payload ``route:arg:arg``."""
    return ":".join([route, *(str(a) for a in args)])


#: The application's router; flow modules register on it when imported.
router = Router()
