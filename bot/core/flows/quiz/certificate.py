"""The "Pemilih Cerdas" certificate: for passing every core quiz with at least 80%."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.context import Context
from bot.core.flows.quiz.common import (
    FLOW,
    PASS_RATIO,
    accept_name,
    menu_row,
    platform_name,
    score_text,
)
from bot.core.formatting import escape
from bot.core.quiz.certificate import (
    MAX_NAME,
    CertificateText,
    render_certificate,
)
from bot.core.quiz.content import Quiz, certificate_quizzes
from bot.core.replies import Button, Image
from bot.core.router import StaleButton, payload
from bot.core.timezones import WIB
from bot.db import repo_quiz
from bot.db.models import utcnow


async def certificate_command(ctx: Context, args: tuple[str, ...]) -> None:
    await offer_certificate(ctx)


async def certificate_button(ctx: Context, args: list[str]) -> None:
    if args == ["get"]:
        await offer_certificate(ctx)
    elif args == ["use"] and ctx.user.display_name:
        await issue_certificate(ctx, ctx.user.display_name)
    elif args == ["first"] and platform_name(ctx):
        await issue_certificate(ctx, platform_name(ctx))
    else:
        raise StaleButton


async def missing_for_certificate(ctx: Context) -> list[tuple[Quiz, repo_quiz.Best | None]]:
    """Core quizzes not yet passed with at least 80%, with the user's best score so far.

    Only the core quizzes (``core: true`` in content) count: optional extras never hold the
    certificate back."""
    best = await repo_quiz.best_scores(ctx.session, ctx.user.id)
    return [
        (quiz, best.get(quiz.id))
        for quiz in certificate_quizzes(ctx.content, ctx.locale)
        if quiz.id not in best or best[quiz.id].ratio < PASS_RATIO
    ]


async def offer_certificate(ctx: Context) -> None:
    missing = await missing_for_certificate(ctx)
    if missing:
        lines = [
            ctx._(
                "🎓 The **Pemilih Cerdas** certificate is for everyone who passes every core "
                "quiz (⭐) with at least 80%. Still to go:"
            )
        ]
        rows: list[list[Button]] = []
        for quiz, best in missing:
            status = (
                ctx._("your best: {score}").format(score=score_text(best.score, best.total))
                if best
                else ctx._("not taken yet")
            )
            lines.append(f"- {escape(quiz.meta.title)}: {escape(status)}")
            rows.append([Button(quiz.meta.title, payload=payload("qz", "start", quiz.id))])
        ctx.reply("\n".join(lines), [*rows, menu_row(ctx)])
        return
    ctx.set_state(FLOW, "cert_name")
    rows = []
    if ctx.user.display_name:
        rows.append(
            [
                Button(
                    ctx._("Use “{name}”").format(name=ctx.user.display_name),
                    payload=payload("qcert", "use"),
                )
            ]
        )
    elif platform_name(ctx):
        rows.append(
            [
                Button(
                    ctx._("Use “{name}”").format(name=platform_name(ctx)[:MAX_NAME]),
                    payload=payload("qcert", "first"),
                )
            ]
        )
    ctx.reply(
        ctx._(
            "🎓 Congratulations, you've earned it! What name should I print on your certificate? "
            "Type it below (up to {max} characters)."
        ).format(max=MAX_NAME),
        rows,
    )


async def issue_certificate(ctx: Context, raw: str) -> None:
    if await missing_for_certificate(ctx):
        ctx.clear_state()
        await offer_certificate(ctx)
        return
    name = await accept_name(ctx, raw, MAX_NAME, "cert_name")
    if name is None:
        return
    # Dates on the certificate are in Western Indonesian Time.
    today = datetime.now(UTC).astimezone(WIB).date()
    png = render_certificate(
        CertificateText(
            heading=ctx._("Certificate"),
            title="Pemilih Cerdas",
            presented_to=ctx._("This certificate is presented to"),
            name=name,
            reason=ctx._(
                "for passing every core Teman Pemilih quiz with at least 80%. Thank you for "
                "being a smart, informed voter!"
            ),
            date_line=ctx._("Issued on {date}").format(date=ctx.t.date(today, "long")),
            signature="Teman Pemilih",
        )
    )
    profile = await repo_quiz.profile(ctx.session, ctx.user.id)
    first = profile.certificate_issued_at is None
    if first:
        profile.certificate_issued_at = utcnow()
    repo_quiz.touch(profile)
    ctx.clear_state()
    await ctx.log("quiz", "certificate_issued", first=first, bytes=len(png))
    caption = ctx._("🎓 Pemilih Cerdas: {name}").format(name=escape(name))
    reply = ctx.reply(
        ctx._(
            "Here's your certificate, **{name}**! Share it and challenge your friends to take "
            "the quizzes too. 🗳️"
        ).format(name=escape(name)),
        [menu_row(ctx)],
    )
    reply.image = Image(png, "sertifikat.png", caption)
