"""``/jadwal``: the countdown to the next voting day and the stages of each election.

In a year with no dated election it shows what is known about the next ones (expected, with no
date invented), what a young voter can do now (check and fix their registration), and the most
recent elections.
"""

from __future__ import annotations

import datetime as dt

from bot.core.calendar import CALENDAR_ID, STAGE_KINDS, Calendar, Election, Stage, today_in_wib
from bot.core.content import Source
from bot.core.context import Context
from bot.core.flows.info import format_sources
from bot.core.flows.pledge import FLOW as PLEDGE_FLOW
from bot.core.flows.pledge import menu_row, reminder_button
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.menu import menu_item
from bot.core.replies import Button
from bot.core.router import payload, router
from bot.db import pledge_repo

menu_item("calendar", N_("📅 Election dates"), "jadwal", order=50)

#: The info page the "what you can do now" button opens.
REGISTRATION_PAGE = "check-registration"


@router.command(
    "jadwal", description=N_("countdown to voting day"), aliases=("dates", "calendar"), order=50
)
async def calendar_command(ctx: Context, args: tuple[str, ...]) -> None:
    await show_calendar(ctx)


@router.button("jadwal")
async def calendar_button(ctx: Context, args: list[str]) -> None:
    await show_calendar(ctx)


def stage_line(ctx: Context, stage: Stage) -> str:
    default = ctx.content.default_locale
    if stage.date is None:
        when = escape(stage.text("expected", ctx.locale, default) or "")
    else:
        when = ctx.t.date(stage.date)
        if stage.end is not None:
            when = ctx._("{start} to {end}").format(start=when, end=ctx.t.date(stage.end))
    line = f"- {escape(ctx._(STAGE_KINDS[stage.kind]))}: {when}"
    note = stage.text("note", ctx.locale, default)
    return line + (f"\n  _{escape(note)}_" if note else "")


def election_lines(ctx: Context, election: Election) -> list[str]:
    name = election.display_name(ctx.locale, ctx.content.default_locale)
    return [f"**{escape(name)}**", *(stage_line(ctx, s) for s in election.sorted_stages())]


def countdown(ctx: Context, election: Election, day: dt.date, days: int) -> str:
    name = escape(election.display_name(ctx.locale, ctx.content.default_locale))
    if days == 0:
        head = ctx._("🗳️ Today is voting day for **{election}**! Go and vote.")
    elif days == 1:
        head = ctx._("🗳️ **{election}**: voting day is tomorrow!")
    else:
        head = ctx.t.ngettext(
            "🗳️ **{election}**: {days} day to go until voting day.",
            "🗳️ **{election}**: {days} days to go until voting day.",
            days,
        )
    return (
        head.format(election=name, days=ctx.t.number(days))
        + "\n"
        + ctx._("Voting day: {date}").format(date=ctx.t.date(day, "full"))
    )


async def show_calendar(ctx: Context) -> None:
    calendar = ctx.content.get("calendar", CALENDAR_ID, ctx.locale)
    if not isinstance(calendar, Calendar):
        ctx.reply(ctx._("The election calendar is not available right now."), [menu_row(ctx)])
        return
    today = today_in_wib(ctx.now())
    upcoming = calendar.next_election(today)
    blocks: list[str] = []
    shown: list[Election] = []
    if upcoming is not None and upcoming.voting_day is not None:
        days = (upcoming.voting_day - today).days
        blocks.append(countdown(ctx, upcoming, upcoming.voting_day, days))
        blocks.append("\n".join(election_lines(ctx, upcoming)))
        shown.append(upcoming)
        await ctx.log("calendar", "countdown_viewed", election=upcoming.id, days=days)
    else:
        expected = calendar.expected_elections()
        if expected:
            blocks.append(
                ctx._("📅 No voting day is set yet. What is known so far about the next ones:")
            )
            blocks.extend("\n".join(election_lines(ctx, e)) for e in expected)
            blocks.append(
                ctx._(
                    "✅ **What you can do now:** check that you're on the voter list and that "
                    "your details are right, so you're ready when the dates are set."
                )
            )
        else:
            blocks.append(
                ctx._(
                    "📅 No voting day is scheduled yet. I'll add the next one as soon as its "
                    "date is official."
                )
            )
        shown.extend(expected)
        past = calendar.past_elections(today)
        if past:
            blocks.append(ctx._("The most recent ones:"))
            blocks.extend("\n".join(election_lines(ctx, e)) for e in past)
        shown.extend(past)
        await ctx.log("calendar", "countdown_viewed", election=None)
    sources: list[Source] = []
    for election in shown:
        for stage in election.sorted_stages():
            sources.extend(s for s in stage.sources if s.id not in {x.id for x in sources})
    blocks.append(format_sources(ctx, sources))
    rows: list[list[Button]] = []
    if ctx.content.page(REGISTRATION_PAGE, ctx.locale) is not None:
        rows.append(
            [
                Button(
                    ctx._("📋 Check your registration"), payload=payload("page", REGISTRATION_PAGE)
                )
            ]
        )
    pledge = await pledge_repo.get_pledge(ctx.session, ctx.user.id)
    if pledge is not None and pledge.withdrawn_at is None:
        rows.append([await reminder_button(ctx)])
    else:
        rows.append([Button(ctx._("🤝 Take the pledge"), payload=PLEDGE_FLOW)])
    rows.append(menu_row(ctx))
    ctx.reply("\n\n".join(blocks), rows)
