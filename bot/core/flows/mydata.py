"""``/privasi``: the privacy notice, and ``/dataku``: everything stored about the person asking.

The notice follows what UU 27/2022 (Pelindungan Data Pribadi) asks a controller to tell: who
runs the bot, what is kept and why, for how long, and the person's rights (see, delete, stop).
``/dataku`` reads the same tables ``/hapus`` erases, so what it shows is what deletion removes.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.context import Context
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.replies import Button
from bot.core.router import router
from bot.db.models import EngagementEvent, Region
from bot.db.models_pledge import Pledge, ReferralCode, ReminderOptIn, UserReferral
from bot.db.models_quiz import QuizAttempt


def privacy_notice(ctx: Context) -> str:
    """The short notice shown at onboarding: what is kept, and where to read or act on it."""
    return ctx._(
        "🔒 **Your privacy:** I never ask for your NIK. I keep only what I need to help you "
        "(your chat id, language and choices here), never what you type. Read more: /privasi · "
        "see your data: /dataku · delete it: /hapus."
    )


def operator_name(ctx: Context) -> str:
    """Who runs this copy (``VOTEBOT_OPERATOR``, name and contact), as /privasi and About say."""
    return ctx.settings.operator.strip() or ctx._("the organisation that runs this bot")


@router.command("privasi", description=N_("privacy notice"), aliases=("privacy",), order=93)
async def privacy_command(ctx: Context, args: tuple[str, ...]) -> None:
    operator = operator_name(ctx)
    years = max(1, round(ctx.settings.log_retention_days / 365))
    await ctx.log("privacy", "notice_viewed")
    ctx.reply(
        ctx._(
            "🔒 **Privacy notice**\n\n"
            "**Who:** {operator} runs this copy of Teman Pemilih (open-source software).\n\n"
            "**What I keep:** your chat id or WhatsApp number (to answer you), your language, "
            "your reminder choices, quiz scores, your pledge (and the name and kabupaten/kota "
            "if you gave them). Never your NIK. What you type is not kept, except a /lapor "
            "report you agree to share, and questions I couldn't answer (without who asked).\n\n"
            "**Why:** to answer and remind you, and for anonymous statistics.\n\n"
            "**How long:** until you delete it. Activity records are cut loose from you after "
            "{period}.\n\n"
            "**Your rights** (UU 27/2022 on Personal Data Protection): see your data with "
            "/dataku, delete it with /hapus, stop messages with /berhenti."
        ).format(
            operator=escape(operator),
            period=ctx.t.ngettext("{n} year", "{n} years", years).format(n=years),
        ),
        [
            [
                Button(ctx._("📄 My data"), payload="mydata"),
                Button(ctx._("🗑️ Delete my data"), payload="forgetask"),
            ],
            [Button(ctx._("🏠 Menu"), payload="menu")],
        ],
    )


@router.button("privacy")
async def privacy_button(ctx: Context, args: list[str]) -> None:
    await privacy_command(ctx, ())


@router.button("mydata")
async def my_data_button(ctx: Context, args: list[str]) -> None:
    await my_data_command(ctx, ())


@router.command("dataku", description=N_("see my data"), aliases=("mydata",), order=94)
async def my_data_command(ctx: Context, args: tuple[str, ...]) -> None:
    s, user, _ = ctx.session, ctx.user, ctx._
    yes, no = _("yes"), _("no")
    lines = [
        _("📄 **What I have stored about you**"),
        "",
        _("• Channel: {channel}").format(channel=escape(user.channel)),
        _("• First message: {date}").format(date=ctx.t.date(user.created_at.date())),
        _("• Language: {language}").format(
            language=ctx.t.language_name(user.locale) if user.locale else _("not chosen")
        ),
        _("• Occasional reminders: {answer}").format(answer=yes if user.opted_in else no),
    ]
    if user.display_name:
        lines.append(_("• Name for the pledge: {name}").format(name=escape(user.display_name)))
    if user.region_id is not None:
        region = await s.get(Region, user.region_id)
        if region is not None:
            lines.append(_("• Saved area: {area}").format(area=escape(region.name)))
    if user.role:
        lines.append(_("• Role: {role}").format(role=escape(user.role)))
    pledge = await s.scalar(select(Pledge).where(Pledge.user_id == user.id))
    if pledge is not None and pledge.withdrawn_at is None:
        lines.append(
            _("• Pledge signed on {date}").format(date=ctx.t.date(pledge.signed_at.date()))
        )
    kinds = (
        await s.scalars(select(ReminderOptIn.kind).where(ReminderOptIn.user_id == user.id))
    ).all()
    if kinds:
        lines.append(_("• Voting-day reminder: yes"))
    quizzes = await s.scalar(
        select(func.count()).select_from(QuizAttempt).where(QuizAttempt.user_id == user.id)
    )
    if quizzes:
        lines.append(_("• Quiz attempts: {n}").format(n=int(quizzes)))
    joined = await s.scalar(
        select(ReferralCode.code)
        .join(UserReferral, UserReferral.code_id == ReferralCode.id)
        .where(UserReferral.user_id == user.id)
    )
    if joined:
        lines.append(_("• Came through invitation code: {code}").format(code=escape(joined)))
    own = await s.scalar(select(ReferralCode.code).where(ReferralCode.user_id == user.id))
    if own:
        lines.append(_("• Your invitation code: {code}").format(code=escape(own)))
    events = await s.scalar(
        select(func.count()).select_from(EngagementEvent).where(EngagementEvent.user_id == user.id)
    )
    lines += [
        _("• Activity records (which buttons and topics, never your words): {n}").format(
            n=int(events or 0)
        ),
        "",
        _("Reports you made with /lapor are not linked to you. To delete all of this: /hapus."),
    ]
    await ctx.log("privacy", "data_viewed")
    ctx.reply("\n".join(lines), [[Button(_("🏠 Menu"), payload="menu")]])
