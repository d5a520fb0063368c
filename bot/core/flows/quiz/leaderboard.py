"""Leaderboards per quiz: who is on them (only by choice, under a name they pick) and the opt-in."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.flows.quiz.common import (
    FLOW,
    LEADERBOARD_SIZE,
    MAX_BOARD_NAME,
    MEDALS,
    accept_name,
    menu_row,
    platform_name,
    score_text,
)
from bot.core.flows.quiz.starting import show_list
from bot.core.formatting import escape
from bot.core.quiz.certificate import (
    InvalidName,
    clean_name,
)
from bot.core.quiz.content import Quiz, all_quizzes, get_quiz
from bot.core.regions import region_path
from bot.core.replies import Button
from bot.core.router import StaleButton, payload
from bot.db import repo_quiz


async def leaderboard_button(ctx: Context, args: list[str]) -> None:
    if args == ["pick"]:
        quizzes = all_quizzes(ctx.content, ctx.locale)
        rows = [[Button(q.meta.title, payload=payload("qlb", "show", q.id))] for q in quizzes]
        ctx.reply(ctx._("🏆 Which quiz's leaderboard?"), [*rows, menu_row(ctx)])
        return
    if len(args) != 2:
        raise StaleButton
    action, quiz_id = args
    quiz = get_quiz(ctx.content, quiz_id, ctx.locale)
    if quiz is None:
        raise StaleButton
    profile = await repo_quiz.profile(ctx.session, ctx.user.id)
    if action == "show":
        await show_leaderboard(ctx, quiz)
    elif action == "join":
        if ctx.user.display_name:
            await set_board_opt_in(ctx, quiz, True)
            return
        ask_board_name(ctx, quiz)
    elif action == "first":
        await save_board_name(ctx, platform_name(ctx), quiz.id)
    elif action in ("no", "leave"):
        if action == "no" and profile.leaderboard is not None:
            await show_leaderboard(ctx, quiz)  # a second tap
            return
        await set_board_opt_in(ctx, quiz, False)
    else:
        raise StaleButton


async def show_leaderboard(ctx: Context, quiz: Quiz) -> None:
    entries = await repo_quiz.leaderboard(ctx.session, quiz.id, LEADERBOARD_SIZE)
    profile = await repo_quiz.profile(ctx.session, ctx.user.id)
    await ctx.log("quiz", "leaderboard_viewed", quiz_id=quiz.id, entries=len(entries))
    lines = [
        ctx._("🏆 **Leaderboard: {title}**").format(title=escape(quiz.meta.title)),
        "",
    ]
    if not entries:
        lines.append(ctx._("Nobody is on this leaderboard yet. Be the first!"))
    for rank, entry in enumerate(entries, start=1):
        name = escape(entry.user.display_name or "")
        where = await kabupaten_name(ctx, entry.user.region_id)
        place = f" ({escape(where)})" if where else ""
        lines.append(
            f"{MEDALS.get(rank, f'{rank}.')} {name}{place}: {score_text(entry.score, entry.total)}"
        )
    rows: list[list[Button]] = []
    if profile.leaderboard is None:
        lines += [
            "",
            ctx._(
                "Do you want to appear on the leaderboards? Only the name you choose and your "
                "kabupaten/kota (if you saved your area) are shown."
            ),
        ]
        rows.append(
            [
                Button(ctx._("✅ Yes, show me"), payload=payload("qlb", "join", quiz.id)),
                Button(ctx._("No, thanks"), payload=payload("qlb", "no", quiz.id)),
            ]
        )
    elif profile.leaderboard and ctx.user.display_name:
        lines += ["", ctx._("You appear as **{name}**.").format(name=escape(ctx.user.display_name))]
        rows.append([Button(ctx._("🙈 Hide me"), payload=payload("qlb", "leave", quiz.id))])
    else:
        rows.append(
            [Button(ctx._("🙋 Show me on leaderboards"), payload=payload("qlb", "join", quiz.id))]
        )
    rows.append(menu_row(ctx))
    ctx.reply("\n".join(lines), rows)


async def kabupaten_name(ctx: Context, region_id: int | None) -> str | None:
    if region_id is None:
        return None
    path = await region_path(ctx.session, region_id)
    return path.kabupaten.name if path is not None and path.kabupaten is not None else None


def ask_board_name(ctx: Context, quiz: Quiz) -> None:
    ctx.set_state(FLOW, "lb_name", quiz=quiz.id)
    rows: list[list[Button]] = []
    first = platform_name(ctx)
    if first:
        try:
            shown = clean_name(first, MAX_BOARD_NAME)
        except InvalidName:
            shown = ""
        if shown:
            rows.append(
                [
                    Button(
                        ctx._("Use “{name}”").format(name=shown),
                        payload=payload("qlb", "first", quiz.id),
                    )
                ]
            )
    rows.append([Button(ctx._("Cancel"), payload=payload("qlb", "show", quiz.id))])
    ctx.reply(
        ctx._(
            "What name should I show on the leaderboard? Your first name or a nickname is fine "
            "(up to {max} characters). Type it below."
        ).format(max=MAX_BOARD_NAME),
        rows,
    )


async def save_board_name(ctx: Context, raw: str, quiz_id: str) -> None:
    quiz = get_quiz(ctx.content, quiz_id, ctx.locale)
    if quiz is None:
        ctx.clear_state()
        await show_list(ctx)
        return
    name = await accept_name(ctx, raw, MAX_BOARD_NAME, "lb_name", quiz=quiz.id)
    if name is None:
        return
    ctx.user.display_name = name
    ctx.clear_state()
    await set_board_opt_in(ctx, quiz, True)


async def set_board_opt_in(ctx: Context, quiz: Quiz, join: bool) -> None:
    profile = await repo_quiz.profile(ctx.session, ctx.user.id)
    profile.leaderboard = join
    repo_quiz.touch(profile)
    await ctx.log("quiz", "leaderboard_opt_in" if join else "leaderboard_opt_out")
    if join:
        ctx.reply(
            ctx._("Done! You're on the leaderboards as **{name}**.").format(
                name=escape(ctx.user.display_name or "")
            )
        )
    else:
        ctx.reply(ctx._("Okay, you won't appear on the leaderboards."))
    await show_leaderboard(ctx, quiz)
