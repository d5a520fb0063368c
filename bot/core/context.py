"""What a flow handler gets: the user, their state, the database session, translations, replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.events import InboundEvent, UserRef
from bot.core.i18n import Translator
from bot.core.replies import Button, Reply
from bot.db import repo
from bot.db.models import ConversationState, User, utcnow

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.content import ContentStore
    from bot.core.engine import Core


@dataclass
class Context:
    core: Core
    session: AsyncSession
    user: User
    state: ConversationState
    event: InboundEvent
    t: Translator
    is_new_user: bool = False
    #: Why the fallback runs: not_understood, unknown_command, stale_button, empty, unsupported,
    #: location.
    fallback_reason: str | None = None
    replies: list[Reply] = field(default_factory=list)
    #: Messages for other people (e.g. admins about a new report): queued in the outbox in this
    #: event's transaction and sent by the fleet's sender (bot.core.notifications).
    notifications: list[tuple[UserRef, list[Reply]]] = field(default_factory=list)

    # -- conveniences -----------------------------------------------------------------------
    @property
    def locale(self) -> str:
        return self.t.locale

    @property
    def content(self) -> ContentStore:
        return self.core.content

    @property
    def settings(self) -> Settings:
        return self.core.settings

    def now(self) -> datetime:
        """The current UTC time from the core's (replaceable) clock."""
        return self.core.clock()

    def _(self, message: str) -> str:
        return self.t.gettext(message)

    def reply(
        self,
        text: str = "",
        buttons: list[list[Button]] | None = None,
        *,
        request_location: bool = False,
        replace: bool = False,
    ) -> Reply:
        r = Reply(text, buttons or [], request_location=request_location, replace=replace)
        if request_location:
            r.location_label = self._("📍 Share my location")
        self.replies.append(r)
        return r

    def notify(self, ref: UserRef, replies: list[Reply]) -> None:
        """Send ``replies`` to someone else: queued with this event's commit, sent by the outbox."""
        self.notifications.append((ref, replies))

    async def log(self, event_type: str, name: str, **properties: Any) -> None:
        await repo.log_event(
            self.session,
            user_id=self.user.id,
            channel=self.user.channel,
            event_type=event_type,
            name=name,
            properties=properties,
        )

    # -- conversation state -------------------------------------------------------------------
    @property
    def flow(self) -> str | None:
        return self.state.flow

    @property
    def step(self) -> str | None:
        return self.state.step

    @property
    def data(self) -> dict[str, Any]:
        """The flow's data (a copy: change it through :meth:`set_state`)."""
        return dict(self.state.data or {})

    def set_state(self, flow: str | None, step: str | None = None, **data: Any) -> None:
        self.state.flow, self.state.step = flow, step
        self.state.data = dict(data)
        self.state.updated_at = utcnow()

    def clear_state(self) -> None:
        if self.state.flow is not None or self.state.data:
            self.set_state(None)
