"""The core: one inbound event in, a list of replies out, inside one database transaction."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core import notifications, reply_codec
from bot.core.content import ContentStore
from bot.core.context import Context
from bot.core.events import (
    ButtonEvent,
    CommandEvent,
    InboundEvent,
    LocationEvent,
    TextEvent,
    UnsupportedEvent,
    UserRef,
    caption_text,
    parse_command,
    sanitised,
)
from bot.core.flood import FloodControl, Verdict
from bot.core.i18n import Translator, available_locales, negotiate
from bot.core.photos import BadPhoto, strip_metadata
from bot.core.privacy import NIK_RE as NIK_RE  # re-exported: adapters import it from here
from bot.core.replies import Button, Reply
from bot.core.router import Router, StaleButton, normalise_keyword
from bot.core.typed import off_script, remember_prompt, show_step_again, take_typed
from bot.core.understanding import use_store
from bot.db import inbound_repo, repo
from bot.db.engine import Database, unavailable
from bot.db.models import utcnow

log = logging.getLogger(__name__)

#: Hooks run after every handled event inside its transaction (e.g. metrics); kept tiny.
AfterHook = Callable[[Context], Awaitable[None]]
#: Told how long each :meth:`Core.handle` took and whether it failed (e.g. metrics); never raises.
HandleObserver = Callable[[InboundEvent, float, BaseException | None], None]
#: Delivers replies to one user of a channel, outside a conversation (a channel's ``send``).
Sender = Callable[[str, list[Reply]], Awaitable[None]]


class Outcome(enum.Enum):
    """What :meth:`Core.handle_once` made of an inbound message."""

    #: Handled now: deliver ``replies``, then call :func:`bot.db.inbound_repo.delivered`.
    HANDLED = "handled"
    #: Handled earlier by a worker that died before delivering: deliver the stored replies.
    TAKEOVER = "takeover"
    #: Handled and delivered before: nothing to do (acknowledge it).
    DUPLICATE = "duplicate"
    #: Not handled now (the database is unavailable, or another worker is still delivering
    #: it): do not acknowledge, so the platform delivers it again later.
    RETRY = "retry"


@dataclasses.dataclass
class Handled:
    outcome: Outcome
    replies: list[Reply] = dataclasses.field(default_factory=list)
    #: The channel's delivery details given to :meth:`Core.handle_once` (stored with replies).
    route: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: Whether replies are stored and wait for :func:`bot.db.inbound_repo.delivered`.
    stored: bool = False


#: How stale ``users.last_seen_at`` may be (WhatsApp's 24-hour window, reports, retention).
LAST_SEEN_PRECISION = timedelta(seconds=60)


def looks_like_nik(text: str) -> bool:
    return bool(NIK_RE.search(text))


def event_kind(event: InboundEvent) -> str:
    return {
        TextEvent: "text",
        CommandEvent: "command",
        ButtonEvent: "button",
        LocationEvent: "location",
        UnsupportedEvent: "unsupported",
    }[type(event)]


class Core:
    """Owns the router, content and database; adapters call :meth:`handle`."""

    def __init__(
        self, settings: Settings, db: Database, content: ContentStore, router: Router | None = None
    ) -> None:
        from bot.core.flows import load_flows
        from bot.core.router import router as default_router

        load_flows()
        self.settings = settings
        self.db = db
        self.content = content
        use_store(content)  # understand() / normalise() without store= read this content
        self.router = router or default_router
        self.locales = available_locales(settings.locales_dir)
        self._translators: dict[str, Translator] = {}
        self._locks: weakref.WeakValueDictionary[UserRef, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.after_hooks: list[AfterHook] = []
        self.handle_observers: list[HandleObserver] = []
        #: channel name → sender; channels register themselves when they start (notifications
        #: no longer use it: they go through the outbox, see bot.core.notifications).
        self.senders: dict[str, Sender] = {}
        #: "Now" for flows that depend on the date (countdowns); tests replace it.
        self.clock: Callable[[], datetime] = utcnow
        #: Per-user flood control (more than ~10 events in 5 s: one "slow down", then quiet);
        #: None turns it off (the terminal simulator, where scripted input arrives at once).
        self.flood: FloodControl | None = FloodControl()
        #: How long a worker may take to deliver a handled message's replies before a
        #: redelivery of that message takes the delivery over (it is presumed dead).
        self.delivery_lease = timedelta(seconds=settings.inbound_lease)

    def warm(self) -> None:
        """Build what reading typed text needs (the understanding and fact-check indexes) now,
        at start-up, so the first person who types a question does not wait for it."""
        from bot.core.factcheck import index_for as claims_index
        from bot.core.understanding.index import index_for as understanding_index

        understanding_index(self.content)
        claims_index(self.content)
        for locale in self.locales:
            self.translator(locale)

    def translator(self, locale: str) -> Translator:
        found = self._translators.get(locale)
        if found is None:
            found = self._translators[locale] = Translator(locale, self.settings.locales_dir)
        return found

    def user_locale(self, chosen: str | None, language_code: str | None) -> str:
        """The user's choice, else the client's language, else the default."""
        return negotiate([chosen, language_code], self.locales, self.settings.default_locale)

    async def wants_media(self, ref: UserRef) -> bool:
        """Whether ``ref`` is at a step that reads media (e.g. /lapor's evidence photo).

        Channels ask this before downloading a photo, so pictures nobody asked for are never
        fetched. One small read; a failure answers False (the flow then hears "no data").
        """
        try:
            async with self.db.transaction() as session:
                flow, step = await repo.conversation_step(session, ref)
        except Exception:
            log.exception("could not read a user's conversation step")
            return False
        return self.router.takes_media(flow, step)

    async def handle_once(
        self, event: InboundEvent, key: str, route: dict[str, Any] | None = None
    ) -> Handled:
        """Handle an inbound platform message identified by ``key`` exactly once.

        The key is claimed in the same transaction as the event's effects and its replies
        (stored with ``route``), so a crash before the commit leaves nothing (the redelivery is
        handled as new) and a crash after it leaves the replies for the redelivery to send.
        Never raises: a flow's error gets the apology (and the key is claimed with it); a
        database that is unavailable (locked, down, a deadlock) gives :attr:`Outcome.RETRY`.
        """
        route = route or {}
        channel = event.user.channel
        replies: list[Reply] = []
        event = await self._prepare(sanitised(event))
        lock = self._locks.get(event.user)
        if lock is None:
            lock = self._locks.setdefault(event.user, asyncio.Lock())
        async with lock:
            started = time.perf_counter()
            try:
                async with self.db.transaction() as session:
                    now = utcnow()
                    claim = await inbound_repo.claim(session, channel, key, now)
                    if claim.state is inbound_repo.State.FRESH:
                        # Flood control counts messages, not a platform's redeliveries of one.
                        verdict = Verdict.OK if self.flood is None else self.flood.check(event.user)
                        if verdict is Verdict.OK:
                            ctx = await self._handle(session, event)
                            replies = ctx.replies
                            # The channel renders the replies in this locale (no second read).
                            route = {**route, "locale": ctx.locale}
                        elif verdict is Verdict.WARN:
                            replies = await self._slow_down_in(session, event)
                        if replies:
                            await inbound_repo.store(
                                session,
                                channel,
                                key,
                                reply_codec.encode(replies, route),
                                now + self.delivery_lease,
                            )
                    elif claim.state is inbound_repo.State.ORPHANED:
                        await inbound_repo.lease(session, channel, key, now + self.delivery_lease)
            except Exception as exc:
                if unavailable(exc):
                    log.warning(
                        "database unavailable handling a %s message (%s); it will be redelivered",
                        channel,
                        type(exc).__name__,
                    )
                    self._observe(event, started, exc)
                    return Handled(Outcome.RETRY, [], route)
                log.exception(
                    "error handling a %s event from a %s user: %s",
                    event_kind(event),
                    channel,
                    type(exc).__name__,
                )
                replies = await self._apologise(event, exc, claim=key)
                self._observe(event, started, exc)
                return Handled(Outcome.HANDLED, replies, route)
            if claim.state is inbound_repo.State.DONE:
                return Handled(Outcome.DUPLICATE, [], route)
            if claim.state is inbound_repo.State.LEASED:
                return Handled(Outcome.RETRY, [], route)
            if claim.state is inbound_repo.State.ORPHANED:
                assert claim.pending is not None
                stored, stored_route = reply_codec.decode(claim.pending)
                log.info("a %s message's replies were never delivered; delivering them", channel)
                return Handled(Outcome.TAKEOVER, stored, stored_route, stored=True)
            self._observe(event, started, None)
        return Handled(Outcome.HANDLED, replies, route, stored=bool(replies))

    async def _prepare(self, event: InboundEvent) -> InboundEvent:
        """Work done before the transaction, off the event loop: a photo's re-encoding."""
        if isinstance(event, UnsupportedEvent) and event.data is not None and not event.clean:
            try:
                data: bytes | None = await asyncio.to_thread(strip_metadata, event.data)
            except BadPhoto:
                data = None
            return dataclasses.replace(event, data=data, clean=True)
        return event

    async def handle(self, event: InboundEvent) -> list[Reply]:
        """Handle one event; never raises for a flow's error (the user gets an apology).

        A user over the flood limit gets one "slow down" and then no reply (an empty list) until
        the cool-down ends; adapters still acknowledge the event (e.g. a button press).
        """
        event = sanitised(event)
        verdict = Verdict.OK if self.flood is None else self.flood.check(event.user)
        if verdict is not Verdict.OK:
            return [] if verdict is Verdict.DROP else await self._slow_down(event)
        lock = self._locks.get(event.user)
        if lock is None:
            lock = self._locks.setdefault(event.user, asyncio.Lock())
        async with lock:
            started = time.perf_counter()
            try:
                async with self.db.transaction() as session:
                    ctx = await self._handle(session, event)
            except Exception as exc:
                log.exception(
                    "error handling a %s event from a %s user: %s",
                    event_kind(event),
                    event.user.channel,
                    type(exc).__name__,
                )
                replies = await self._apologise(event, exc)
                self._observe(event, started, exc)
                return replies
            self._observe(event, started, None)
        return ctx.replies

    def _observe(self, event: InboundEvent, started: float, error: BaseException | None) -> None:
        seconds = time.perf_counter() - started
        for observer in self.handle_observers:
            try:
                observer(event, seconds, error)
            except Exception:
                log.exception("a handle observer failed")

    async def _record_outside_flow(
        self, event: InboundEvent, event_type: str, name: str, *, claim: str | None = None
    ) -> str:
        """Log one engagement row for an event no flow handled; return the user's locale.

        ``claim`` also marks that inbound message key handled, in the same transaction.
        """
        locale = self.user_locale(None, event.language_code)
        try:
            async with self.db.transaction() as session:
                locale = await self._record_in(session, event, event_type, name)
                if claim is not None:
                    await inbound_repo.claim(session, event.user.channel, claim, utcnow())
        except Exception:
            log.exception("could not record a %s event in the engagement log", event_type)
        return locale

    async def _record_in(
        self, session: AsyncSession, event: InboundEvent, event_type: str, name: str
    ) -> str:
        user, _ = await repo.get_or_create_user(
            session, event.user, language_code=event.language_code
        )
        await repo.log_event(
            session,
            user_id=user.id,
            channel=user.channel,
            event_type=event_type,
            name=name,
            properties={"kind": event_kind(event)},
        )
        return self.user_locale(user.locale, event.language_code)

    def _slow_down_text(self, locale: str) -> list[Reply]:
        _ = self.translator(locale)
        text = _(
            "Whoa, that's a lot of messages at once! 😅 Give me a few seconds, then send your "
            "message again."
        )
        return [Reply(text)]

    async def _slow_down(self, event: InboundEvent) -> list[Reply]:
        return self._slow_down_text(await self._record_outside_flow(event, "flood", "slow_down"))

    async def _slow_down_in(self, session: AsyncSession, event: InboundEvent) -> list[Reply]:
        return self._slow_down_text(await self._record_in(session, event, "flood", "slow_down"))

    async def apologise(self, event: InboundEvent, exc: BaseException) -> list[Reply]:
        """The apology for an error outside the core (e.g. in an adapter), logged like a crash."""
        return await self._apologise(event, exc)

    async def _apologise(
        self, event: InboundEvent, exc: BaseException, *, claim: str | None = None
    ) -> list[Reply]:
        locale = await self._record_outside_flow(event, "error", type(exc).__name__, claim=claim)
        _ = self.translator(locale)
        text = _("Sorry, something went wrong on my side. Please try again in a moment.")
        return [Reply(text)]

    async def _handle(self, session: AsyncSession, event: InboundEvent) -> Context:
        user, state, created = await repo.load_user_and_state(
            session, event.user, language_code=event.language_code
        )
        now = utcnow()
        if created or now - user.last_seen_at > LAST_SEEN_PRECISION:
            user.last_seen_at = now  # a minute is precise enough, and saves an UPDATE a message
        if not user.reachable:
            # They wrote to us, so they can be reached again (e.g. unblocked the bot).
            user.reachable = True
            await repo.log_event(
                session,
                user_id=user.id,
                channel=user.channel,
                event_type="delivery",
                name="reachable",
            )
        if event.language_code and event.language_code[:16] != user.language_code:
            user.language_code = event.language_code[:16]
        t = self.translator(self.user_locale(user.locale, event.language_code))
        ctx = Context(self, session, user, state, event, t, is_new_user=created)
        if created:
            await ctx.log("user", "created", language_code=event.language_code)
        await ctx.log("message", event_kind(event), **self._describe(event))
        stepped = state.updated_at
        await self.dispatch(ctx)
        remember_prompt(ctx, moved=ctx.state.updated_at != stepped)
        for hook in self.after_hooks:
            await hook(ctx)
        # Messages for other people go out through the outbox, committed with this event.
        for ref, replies in ctx.notifications:
            await notifications.enqueue(session, ref, replies, self.clock())
        return ctx

    @staticmethod
    def _describe(event: InboundEvent) -> dict[str, Any]:
        """What the log may know of an event: never message text, never coordinates."""
        if isinstance(event, CommandEvent):
            return {"command": event.name[:32], "args": len(event.args)}
        if isinstance(event, ButtonEvent):
            return {"route": event.payload.split(":", 1)[0][:32]}
        if isinstance(event, TextEvent):
            return {"length": len(event.text)}
        if isinstance(event, UnsupportedEvent):
            return {"media": event.kind[:32], "caption": event.caption is not None}
        return {}

    async def dispatch(self, ctx: Context) -> None:
        event, r = ctx.event, self.router
        if isinstance(event, TextEvent):
            parsed = parse_command(event.text)
            if parsed is not None:
                event = CommandEvent(
                    user=event.user,
                    language_code=event.language_code,
                    first_name=event.first_name,
                    in_group=event.in_group,
                    name=parsed[0],
                    args=parsed[1],
                )
                ctx.event = event

        if isinstance(event, CommandEvent):
            info = r.commands.get(event.name)
            if info is None:
                await ctx.log("fallback", "unknown_command", command=event.name[:32])
                return await self._fallback(ctx, "unknown_command")
            ctx.clear_state()
            return await info.handler(ctx, event.args)

        if isinstance(event, ButtonEvent):
            route, _, rest = event.payload.partition(":")
            handler = r.buttons.get(route)
            args = rest.split(":") if rest else []
            if handler is not None:
                stepped = ctx.state.updated_at
                try:
                    await handler(ctx, args)
                except StaleButton:
                    pass
                else:  # a button beside the flow (👍, a page): then the step the user is at
                    if ctx.state.updated_at == stepped:
                        await show_step_again(ctx, "button")
                    return None
            await ctx.log("fallback", "stale_button", route=route[:32])
            return await self._fallback(ctx, "stale_button")

        # A photo that came with a caption (a forwarded picture of a hoax) is read like its
        # caption once no step took the photo itself.
        caption = caption_text(event)
        if (isinstance(event, TextEvent) and looks_like_nik(event.text)) or (
            caption is not None and looks_like_nik(caption)
        ):
            await ctx.log("privacy", "nik_warning")
            ctx.reply(
                ctx._(
                    "That looks like a NIK (national ID number). Please never share your NIK in "
                    "a chat, not even with me: I don't need it and I have not stored it. To "
                    "check your registration, type it only on KPU's official site "
                    "cekdptonline.kpu.go.id."
                ),
                [[Button(ctx._("🏠 Menu"), payload="menu")]],
            )
            return None

        if isinstance(event, TextEvent) and await take_typed(ctx, event):
            return None

        state_handler = r.states.get(ctx.flow) if ctx.flow else None
        if state_handler is not None and await state_handler(ctx, event):
            return None

        text = event.text if isinstance(event, TextEvent) else caption
        if text is not None:
            handler_kw = r.keywords.get(normalise_keyword(text))
            if handler_kw is not None:
                ctx.clear_state()
                return await handler_kw(ctx)
            for regex, handler_re in r.patterns:
                match = regex.fullmatch(text.strip())
                if match is not None:
                    return await handler_re(ctx, match)
            if r.free_text_handler is not None and text.strip():
                await r.free_text_handler(ctx, text)
                await show_step_again(ctx, "free_text")
                return None
        if (
            isinstance(event, LocationEvent)
            and r.location_handler is not None
            and await r.location_handler(ctx, event)
        ):
            return None
        reason = "not_understood"
        if isinstance(event, UnsupportedEvent):
            reason = "unsupported"
        elif isinstance(event, LocationEvent):
            reason = "location"
        elif isinstance(event, TextEvent) and not event.text.strip():
            reason = "empty"
        await self._fallback(ctx, reason)
        return None

    async def _fallback(self, ctx: Context, reason: str) -> None:
        """The helpful answer to anything not understood; ``reason`` tunes its first line."""
        ctx.fallback_reason = reason
        if await off_script(ctx, reason):
            return
        if self.router.fallback_handler is None:
            ctx.reply(ctx._("Sorry, I didn't understand that."))
            return
        await self.router.fallback_handler(ctx)
