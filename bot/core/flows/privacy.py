"""``/hapus``: a user deletes their own data, after confirming with a button."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.privacy import erase_user
from bot.core.replies import Button
from bot.core.router import StaleButton, payload, router

FLOW = "forget"


@router.command(
    "hapus", description=N_("delete my data"), aliases=("delete", "hapusdata"), order=95
)
async def forget_command(ctx: Context, args: tuple[str, ...]) -> None:
    ctx.set_state(FLOW, "confirm")
    await ctx.log("privacy", "delete_requested")
    ctx.reply(
        ctx._(
            "Do you want me to delete your data? I'll forget your language, your saved area, "
            "your name and everything you did here (quizzes, pledge, reminders). Statistics "
            "keep only anonymous counts. This cannot be undone."
        ),
        [
            [
                Button(ctx._("🗑️ Yes, delete my data"), payload=payload("forget", "yes")),
                Button(ctx._("Cancel"), payload=payload("forget", "no")),
            ]
        ],
    )


@router.on_exit(FLOW)
async def forget_left(ctx: Context) -> str:
    return ctx._("Okay, nothing was deleted.")


@router.button("forgetask")
async def forget_ask_button(ctx: Context, args: list[str]) -> None:
    await forget_command(ctx, ())


@router.button("forget")
async def forget_button(ctx: Context, args: list[str]) -> None:
    if args not in (["yes"], ["no"]) or ctx.flow != FLOW:
        raise StaleButton
    if args == ["no"]:
        ctx.clear_state()
        ctx.reply(
            ctx._("Okay, nothing was deleted."),
            [[Button(ctx._("🏠 Menu"), payload="menu")]],
            replace=True,
        )
        return
    text = ctx._(
        "Done: your data is deleted. If you message me again, we start fresh. Take care, and "
        "don't forget to vote! 🗳️"
    )
    await erase_user(ctx.session, ctx.user)
    ctx.reply(text, replace=True)
