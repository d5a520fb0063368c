"""``/periksa``: checkers (and admins) review unknown claims in chat and publish verdicts.

The queue lists the most-forwarded open claims (scrubbed: no NIKs, phone numbers or names).
Publishing asks for a verdict, a short explanation and the paste-back reply (two or three
sentences with exactly one link); the verdict is stored in the database, so every worker matches
it at once, and each user who tapped "kabari aku" is told once (their link is deleted as they
are queued for the message). ``votebot claims export`` turns it into a content file for review.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import TextEvent, UserRef
from bot.core.factcheck.content import (
    MAX_EXPLANATION,
    URL_RE,
    VERDICT_ICONS,
    VERDICT_LABELS,
    count_sentences,
)
from bot.core.factcheck.library import ClaimView, from_published
from bot.core.factcheck.queue import dismiss, open_reports, publish
from bot.core.i18n import N_, Translator
from bot.core.replies import Button, Reply
from bot.core.roles import actor_of, audit, can_check
from bot.core.router import StaleButton, payload, router
from bot.db.models import User
from bot.db.models_claims import OPEN, ClaimReport

FLOW = "periksa"
SHOWN = 5


def reply_problem(reply: str) -> str | None:
    """Why ``reply`` cannot be published (an untranslated reason), or None."""
    links = URL_RE.findall(reply)
    if len(links) != 1:
        return N_("The reply needs exactly one link (it has {n}).")
    if not 2 <= count_sentences(reply) <= 3:
        return N_("The reply should be two or three sentences.")
    return None


def notice(t: Translator, claim: ClaimView) -> list[Reply]:
    """The one message to a user who asked to be told about this claim."""
    label = t.gettext(VERDICT_LABELS.get(claim.verdict, "UNPROVEN"))
    icon = VERDICT_ICONS.get(claim.verdict, "❔")
    head = t.gettext("🔎 The message you passed to our team has been checked:")
    text = f"{head}\n\n{icon} **{label}**: {claim.title}\n\n{claim.explanation}"
    buttons = [[Button(t.gettext("📋 Reply for the group"), payload=payload("fcr", claim.id))]]
    return [Reply(text, buttons)]


def notify_followers(ctx: Context, claim: ClaimView, followers: list[User]) -> None:
    """Queue the notice to each follower (sent after the commit, through the channel's sender)."""
    for user in followers:
        t = ctx.core.translator(ctx.core.user_locale(user.locale, user.language_code))
        ctx.notify(UserRef(user.channel, user.external_id), notice(t, claim))


@router.command("periksa", aliases=("review",))
async def periksa(ctx: Context, args: tuple[str, ...]) -> None:
    if not can_check(ctx.user):
        ctx.reply(ctx._("This is only for the fact-checking team."))
        return
    ctx.clear_state()
    reports = await open_reports(ctx.session, SHOWN)
    await ctx.log("factcheck", "queue_viewed", open=len(reports))
    if not reports:
        ctx.reply(ctx._("The queue is empty. 🎉"))
        return
    ctx.reply(ctx._("Unchecked claims, most forwarded first:"))
    for report in reports:
        seen = ctx._("{count}× · last {day}").format(
            count=report.count, day=report.last_seen_at.date().isoformat()
        )
        ctx.reply(
            f"**#{report.id}** ({seen})\n{report.text[:500]}",
            [
                [
                    Button(ctx._("✅ Publish a verdict"), payload=payload("pk", "pub", report.id)),
                    Button(ctx._("🗑️ Dismiss"), payload=payload("pk", "dis", report.id)),
                ]
            ],
        )


async def _report(ctx: Context, raw: str) -> ClaimReport:
    if not can_check(ctx.user) or not raw.isdigit():
        raise StaleButton
    report = await ctx.session.get(ClaimReport, int(raw))
    if report is None or report.status != OPEN:
        raise StaleButton
    return report


@router.button("pk")
async def periksa_button(ctx: Context, args: list[str]) -> None:
    if len(args) < 2:
        raise StaleButton
    action, report = args[0], await _report(ctx, args[1])
    if action == "dis" and len(args) == 2:
        await dismiss(ctx.session, report)
        await audit(ctx.session, actor_of(ctx.user), "claim_dismiss", f"claim_report:{report.id}")
        ctx.reply(ctx._("Dismissed #{id}.").format(id=report.id))
        return
    if action == "pub" and len(args) == 2:
        rows = [
            [Button(ctx._(label), payload=payload("pk", "v", report.id, verdict))]
            for verdict, label in VERDICT_LABELS.items()
        ]
        ctx.reply(ctx._("Verdict for #{id}?").format(id=report.id), rows)
        return
    if action == "v" and len(args) == 3 and args[2] in VERDICT_LABELS:
        ctx.set_state(FLOW, "explain", report=report.id, verdict=args[2])
        ctx.reply(
            ctx._(
                "Write the explanation (at most {n} characters): what is true, and who says so."
            ).format(n=MAX_EXPLANATION)
        )
        return
    raise StaleButton


@router.state(FLOW)
async def periksa_state(ctx: Context, event: object) -> bool:
    if not isinstance(event, TextEvent) or not can_check(ctx.user):
        return False
    data = ctx.data
    text = " ".join(event.text.split())
    if ctx.step == "explain":
        if len(text) > MAX_EXPLANATION or len(text) < 20:
            ctx.reply(
                ctx._("Please keep it between 20 and {n} characters.").format(n=MAX_EXPLANATION)
            )
            return True
        ctx.set_state(FLOW, "reply", **data, explanation=text)
        ctx.reply(
            ctx._(
                "Now the reply people can paste into their family group: two or three polite "
                "sentences with exactly one link (the published check)."
            )
        )
        return True
    if ctx.step == "reply":
        problem = reply_problem(text)
        if problem is not None:
            ctx.reply(ctx._(problem).format(n=len(URL_RE.findall(text))))
            return True
        report = await ctx.session.get(ClaimReport, int(data.get("report", 0)))
        if report is None or report.status != OPEN:
            ctx.clear_state()
            ctx.reply(ctx._("That claim is no longer open."))
            return True
        link = URL_RE.findall(text)[0]
        title = report.text.splitlines()[0][:60] if report.text else f"#{report.id}"
        done = await publish(
            ctx.session,
            report,
            verdict=str(data.get("verdict")),
            title=title,
            explanation=str(data.get("explanation", "")),
            reply=text,
            sources=[{"title": ctx._("The team's check"), "url": link}],
            actor=actor_of(ctx.user),
            now=ctx.now(),
        )
        await audit(
            ctx.session, actor_of(ctx.user), "claim_publish", f"claim:{done.claim.id}",
            verdict=done.claim.verdict, told=len(done.followers),
        )  # fmt: skip
        notify_followers(ctx, from_published(done.claim), done.followers)
        ctx.clear_state()
        await ctx.log("factcheck", "published", told=len(done.followers))
        ctx.reply(
            ctx._("Published ✅ #{id} as {claim}. People told: {n}.").format(
                id=report.id, claim=done.claim.id, n=len(done.followers)
            )
        )
        return True
    return False
