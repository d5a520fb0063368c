"""Admins approve (or reject) Suara Muda polls in the chat, as they do broadcasts.

``/tinjau_polling`` (``/pollreview``) lists the polls awaiting approval, each with its schedule,
segment and questions and two buttons: ``prv:approve:ID`` and ``prv:reject:ID``. Only admins may
use it, and not for a poll they created themselves (a second person approves, as on the command
line and the dashboard).
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.formatting import escape
from bot.core.polls import store
from bot.core.polls.render import localized
from bot.core.replies import Button
from bot.core.roles import ADMIN
from bot.core.router import StaleButton, payload, router
from bot.core.timezones import WIB
from bot.db.models_poll import AWAITING_APPROVAL, Poll

ROUTE = "prv"


def _menu(ctx: Context) -> list[list[Button]]:
    return [[Button(ctx._("🏠 Menu"), payload="menu")]]


def _when(ctx: Context, poll: Poll) -> str:
    opens, closes = poll.opens_at.astimezone(WIB), poll.closes_at.astimezone(WIB)
    return ctx._("{opens} to {closes} WIB").format(
        opens=f"{ctx.t.date(opens.date())} {opens:%H:%M}",
        closes=f"{ctx.t.date(closes.date())} {closes:%H:%M}",
    )


def summary(ctx: Context, poll: Poll) -> str:
    default = ctx.settings.default_locale
    lines = [
        f"🗳️ **{escape(poll.title)}** ({escape(poll.id)})",
        _when(ctx, poll),
        ctx._("Segment: {segment}").format(segment=escape(poll.segment)),
    ]
    for i, q in enumerate(store.questions(poll), 1):
        lines.append(f"{i}. {escape(localized(q.text, ctx.locale, default))}")
    return "\n".join(lines)


def _refuse(ctx: Context) -> bool:
    if ctx.user.role == ADMIN:
        return False
    ctx.reply(ctx._("Only an admin can approve or reject a poll."), _menu(ctx))
    return True


@router.command("tinjau_polling", aliases=("pollreview",))
async def review_command(ctx: Context, args: tuple[str, ...]) -> None:
    if _refuse(ctx):
        await ctx.log("poll_review", "refused")
        return
    polls = await store.awaiting_approval(ctx.session)
    await ctx.log("poll_review", "listed", waiting=len(polls))
    if not polls:
        ctx.reply(ctx._("No poll is waiting for approval."), _menu(ctx))
        return
    ctx.reply(ctx._("Polls waiting for approval:"))
    for poll in polls:
        ctx.reply(
            summary(ctx, poll),
            [
                [
                    Button(ctx._("✅ Approve"), payload=payload(ROUTE, "approve", poll.id)),
                    Button(ctx._("❌ Reject"), payload=payload(ROUTE, "reject", poll.id)),
                ]
            ],
        )


@router.button(ROUTE)
async def review_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 2 or args[0] not in ("approve", "reject"):
        raise StaleButton
    action, poll_id = args
    if _refuse(ctx):
        await ctx.log("poll_review", "refused")
        return
    try:
        poll = await store.get_poll(ctx.session, poll_id, lock=True)
    except store.PollError:
        raise StaleButton from None
    title = escape(poll.title)
    if poll.status != AWAITING_APPROVAL:
        ctx.reply(
            ctx._("The poll “{title}” is no longer waiting for approval.").format(title=title),
            _menu(ctx),
        )
        return
    if store.is_own(poll, ctx.user):
        ctx.reply(
            ctx._("A poll needs a second person: ask another admin to approve it."), _menu(ctx)
        )
        return
    if action == "approve":
        await store.approve(ctx.session, poll.id, ctx.user, via="chat")
        await ctx.log("poll_review", "approved")
        ctx.reply(
            ctx._("✅ Approved: the poll “{title}” runs {when}.").format(
                title=title, when=_when(ctx, poll)
            ),
            _menu(ctx),
        )
        return
    await store.cancel(ctx.session, poll.id, ctx.user, via="chat")
    await ctx.log("poll_review", "rejected")
    ctx.reply(
        ctx._("The poll “{title}” was rejected; nobody will be asked.").format(title=title),
        _menu(ctx),
    )
