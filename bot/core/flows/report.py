"""``/lapor``: prepare a money-politics report for Bawaslu, step by step.

category → what happened → when → where (kabupaten/kota) → who → evidence (photo or text, may be
skipped) → the deadline → a summary to copy or forward, with the official channels and who may
file formally → consent. Deadlines, channels and what a report names come from the facts ledger
(``report-*`` and ``bawaslu-report-online`` in ``content/facts.yaml``), with their sources.

Privacy: what the user types lives only in the conversation state while the flow runs and is
wiped when it ends or is cancelled. By default only an anonymous record (category, kabupaten/kota,
date) is stored; the full text and photo only with explicit consent. A photo is re-encoded from
its pixels (no EXIF, no GPS) before it is kept in the state, stored or forwarded.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from bot.core.calendar import today_in_wib
from bot.core.context import Context
from bot.core.events import TextEvent, UnsupportedEvent, UserRef
from bot.core.flows.info import format_sources, with_facts
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.menu import menu_buttons, menu_item
from bot.core.photos import BadPhoto, strip_metadata
from bot.core.picker import get_kabupaten, kabupaten_buttons
from bot.core.replies import Button, Image, Reply
from bot.core.router import StaleButton, normalise_keyword, payload, router
from bot.db import pledge_repo, repo
from bot.db.models import Region

FLOW = "report"
ROUTE = "rep"
CATEGORIES: dict[str, str] = {
    "money": N_("💵 Money or goods given"),
    "promise": N_("🤝 A promise for a vote"),
    "other": N_("📋 Mahar politik or other"),
}
#: Longest answer per step (characters).
LIMITS = {"what": 1000, "when": 200, "where": 200, "who": 500, "evidence": 500}

menu_item("report", N_("🚨 Report money politics"), ROUTE, order=35)


def cancel_row(ctx: Context) -> list[Button]:
    return [Button(ctx._("✖️ Cancel"), payload=payload(ROUTE, "cancel"))]


# --------------------------------------------------------------------------- start


@router.command("lapor", description=N_("report money politics"), aliases=("report",), order=35)
async def report_command(ctx: Context, args: tuple[str, ...]) -> None:
    await start(ctx)


async def start(ctx: Context) -> None:
    await ctx.log("report", "report_started")
    ctx.set_state(FLOW, "category")
    rows = [
        [Button(ctx._(label), payload=payload(ROUTE, "cat", key))]
        for key, label in CATEGORIES.items()
    ]
    ctx.reply(
        ctx._(
            "🚨 Let's prepare your report to **Bawaslu** (the election supervisory body). I'll "
            "ask a few short questions. Write only what you're comfortable sharing, and never "
            "your NIK. Type “cancel” or tap Cancel to stop at any time.\n\n"
            "What kind of money politics was it?"
        ),
        [*rows, cancel_row(ctx)],
    )


@router.button(ROUTE)
async def report_button(ctx: Context, args: list[str]) -> None:
    action, rest = (args[0], args[1:]) if args else ("", [])
    if action == "" and not rest:
        await start(ctx)
        return
    if action == "cancel" and not rest:
        if ctx.flow != FLOW:
            raise StaleButton
        await cancel(ctx)
        return
    if ctx.flow != FLOW:
        raise StaleButton
    data = ctx.data
    if action == "cat" and len(rest) == 1 and rest[0] in CATEGORIES and ctx.step == "category":
        data["category"] = rest[0]
        next_step(ctx, "what", data)
    elif action == "kab" and len(rest) == 1 and ctx.step == "where_pick":
        region = await get_kabupaten(ctx.session, rest[0])
        if region is None:
            raise StaleButton
        data["kabupaten_id"] = region.id
        data["kabupaten"] = region.name
        next_step(ctx, "who", data)
    elif action == "nokab" and not rest and ctx.step == "where_pick":
        next_step(ctx, "who", data)
    elif action == "unknown" and not rest and ctx.step == "who":
        data["who"] = ""
        next_step(ctx, "evidence", data)
    elif action == "skip" and not rest and ctx.step == "evidence":
        await finish(ctx, data)
    elif action == "consent" and rest in (["yes"], ["no"]) and ctx.step == "consent":
        await complete(ctx, data, consent=rest == ["yes"])
    else:
        raise StaleButton


# --------------------------------------------------------------------------- steps


def next_step(ctx: Context, step: str, data: dict[str, Any]) -> None:
    ctx.set_state(FLOW, step, **data)
    if step == "what":
        text = ctx._(
            "**1/5 What happened?** Describe it briefly: what was given or promised, and for "
            "which candidate or party."
        )
        rows = [cancel_row(ctx)]
    elif step == "when":
        text = ctx._(
            "**2/5 When** did it happen? A date and a time, e.g. “12 November, around 19.00”."
        )
        rows = [cancel_row(ctx)]
    elif step == "where":
        text = ctx._(
            "**3/5 Where** did it happen? Start with the kabupaten or kota, then the place, "
            "e.g. “Blora, the market in Kunden village”."
        )
        rows = [cancel_row(ctx)]
    elif step == "who":
        text = ctx._(
            "**4/5 Who** was involved? Who gave or offered it, and for which candidate? Write "
            "only what you know."
        )
        rows = [[Button(ctx._("I don't know"), payload=payload(ROUTE, "unknown"))], cancel_row(ctx)]
    else:
        text = ctx._(
            "**5/5 Evidence.** Send a photo, or describe what you have (a video, a document, a "
            "witness). Or tap Skip.\n\nBefore I keep a photo anywhere I remove its hidden data, "
            "such as the GPS location."
        )
        rows = [[Button(ctx._("Skip"), payload=payload(ROUTE, "skip"))], cancel_row(ctx)]
    ctx.reply(text, rows)


@router.state(FLOW, media_steps=("evidence",))
async def report_state(ctx: Context, event: Any) -> bool:
    step, data = ctx.step, ctx.data
    if isinstance(event, UnsupportedEvent):
        if step != "evidence":
            return False
        await take_photo(ctx, event, data)
        return True
    if not isinstance(event, TextEvent):
        return False
    text = event.text.strip()
    word = normalise_keyword(text)
    if word in ctx.core.router.keywords:
        # "menu", "stop", "help", ...: leave the report (wiping it) and let the keyword run.
        await cancel(ctx, quiet=True)
        return False
    if step in ("category", "consent"):
        # Not handed to the understanding layer: what someone types here may be part of their
        # report, and unanswered text would reach the team's question queue.
        ctx.reply(ctx._("Please tap one of the buttons above (or type “cancel” to stop)."))
        return True
    if step in ("what", "when", "where", "where_pick", "who", "evidence"):
        key = "where" if step == "where_pick" else step
        if not text:
            ctx.reply(ctx._("Your message looks empty. Please try again."), [cancel_row(ctx)])
            return True
        if len(text) > LIMITS[key]:
            await ctx.log("report", "answer_too_long", step=key)
            ctx.reply(
                ctx._("That's a bit long: please keep it under {n} characters.").format(
                    n=ctx.t.number(LIMITS[key])
                ),
                [cancel_row(ctx)],
            )
            return True
        data[key] = text
        if key == "what":
            next_step(ctx, "when", data)
        elif key == "when":
            next_step(ctx, "where", data)
        elif key == "where":
            await pick_kabupaten(ctx, text, data)
        elif key == "who":
            next_step(ctx, "evidence", data)
        else:
            data.pop("photo", None)
            await finish(ctx, data)
        return True
    return False


async def pick_kabupaten(ctx: Context, text: str, data: dict[str, Any]) -> None:
    data.pop("kabupaten_id", None)
    data.pop("kabupaten", None)
    rows = await kabupaten_buttons(ctx.session, text, ROUTE, "kab")
    if not rows:
        next_step(ctx, "who", data)
        return
    ctx.set_state(FLOW, "where_pick", **data)
    ctx.reply(
        ctx._("Which kabupaten or kota is it? (Or type the place again.)"),
        [
            *rows,
            [Button(ctx._("None of these"), payload=payload(ROUTE, "nokab"))],
            cancel_row(ctx),
        ],
    )


async def take_photo(ctx: Context, event: UnsupportedEvent, data: dict[str, Any]) -> None:
    if event.kind != "photo":
        await ctx.log("report", "evidence_unsupported", media=event.kind[:32])
        ctx.reply(
            ctx._(
                "I can only take a photo here. Describe the video or document in a few words "
                "instead, or tap Skip."
            ),
            [[Button(ctx._("Skip"), payload=payload(ROUTE, "skip"))], cancel_row(ctx)],
        )
        return
    try:
        if not event.data:  # the channel could not fetch the picture
            raise BadPhoto("no data")
        clean = event.data if event.clean else await asyncio.to_thread(strip_metadata, event.data)
    except BadPhoto:
        await ctx.log("report", "photo_unreadable")
        ctx.reply(
            ctx._("I couldn't open that photo. Try another one, describe it, or tap Skip."),
            [[Button(ctx._("Skip"), payload=payload(ROUTE, "skip"))], cancel_row(ctx)],
        )
        return
    await ctx.log("report", "photo_received")
    data["photo"] = base64.b64encode(clean).decode("ascii")
    data.pop("evidence", None)
    ctx.reply(ctx._("📷 Got the photo, with its hidden data (like GPS) removed."))
    await finish(ctx, data)


# --------------------------------------------------------------------------- summary & consent


def category_label(ctx: Context, data: dict[str, Any]) -> str:
    label = CATEGORIES[data["category"]]
    return ctx._(label)


def summary(ctx: Context, data: dict[str, Any]) -> str:
    """The report as the user can copy or forward it (their own words, escaped)."""

    def field(label: str, value: str) -> str:
        return f"**{label}:** {value}"

    where = escape(data.get("where", ""))
    if data.get("kabupaten"):
        where += f" ({escape(data['kabupaten'])})"
    if data.get("photo"):
        evidence = ctx._("a photo (send it together with this report)")
    elif data.get("evidence"):
        evidence = escape(data["evidence"])
    else:
        evidence = ctx._("none yet")
    lines = [
        ctx._("📝 **Report of suspected money politics**"),
        field(ctx._("Type"), category_label(ctx, data)),
        field(ctx._("What happened"), escape(data.get("what", ""))),
        field(ctx._("When"), escape(data.get("when", ""))),
        field(ctx._("Where"), where),
        field(
            ctx._("Who was involved (terlapor)"),
            escape(data.get("who") or "") or ctx._("unknown"),
        ),
        field(ctx._("Evidence"), evidence),
        field(
            ctx._("Reporter (pelapor)"),
            ctx._("your name and address (give them to Bawaslu directly)"),
        ),
    ]
    return "\n".join(lines)


async def finish(ctx: Context, data: dict[str, Any]) -> None:
    """The deadline, the summary and where to send it; every rule from the facts ledger."""
    ctx.set_state(FLOW, "consent", **data)
    deadline, cited = with_facts(
        ctx,
        ctx._(
            "⏰ **Don't wait.** Report it as soon as you can: for a Pemilu "
            "{{fact:report-deadline-pemilu}}; for a Pilkada {{fact:report-deadline-pilkada}}."
        ),
    )
    ctx.reply(deadline)
    intro, sources = with_facts(
        ctx,
        ctx._(
            "Here's your report. Bawaslu asks for {{fact:report-contents}}. Copy it or forward it:"
        ),
    )
    cited += sources
    ctx.reply(intro)
    ctx.reply(summary(ctx, data))
    where, sources = with_facts(
        ctx,
        ctx._(
            "**Where to report:** online via {{fact:bawaslu-report-online}}, or in person at "
            "{{fact:report-offices}}. Take your evidence with you.\n\n"
            "**Who can file it formally:** {{fact:report-who-may-file}}. Not a voter yet? Ask "
            "someone who is, like a family member, to file it with you."
        ),
    )
    cited += sources
    unique = list({s.id: s for s in cited}.values())
    ctx.reply(where + "\n\n" + format_sources(ctx, unique))
    ctx.reply(
        ctx._(
            "One last question. By default I keep only an anonymous record: the type, the "
            "kabupaten/kota and today's date, nothing you wrote. May I also keep the full text "
            "(and photo) of this report for the Teman Pemilih team? Your name and chat are not "
            "attached to it, so the team cannot contact you and /hapus cannot find it later; "
            "it is kept for 180 days."
        ),
        [
            [Button(ctx._("Yes, keep the full report"), payload=payload(ROUTE, "consent", "yes"))],
            [
                Button(
                    ctx._("No, only the anonymous record"),
                    payload=payload(ROUTE, "consent", "no"),
                )
            ],
            cancel_row(ctx),
        ],
    )


async def complete(ctx: Context, data: dict[str, Any], *, consent: bool) -> None:
    photo = base64.b64decode(data["photo"]) if data.get("photo") else None
    details = None
    if consent:
        details = {k: data.get(k, "") for k in ("what", "when", "where", "who", "evidence")}
        details["photo"] = photo is not None
    kabupaten_id = data.get("kabupaten_id")
    report = await pledge_repo.add_report(
        ctx.session,
        category=data["category"],
        kabupaten_id=kabupaten_id,
        reported_on=today_in_wib(ctx.now()),
        details=details,
        photo=photo if consent else None,
    )
    ctx.clear_state()
    # Logged with no user, type or place: the anonymous record must not be joinable back to the
    # reporter through the log (the report's own row holds the type, place and day).
    await repo.log_event(
        ctx.session,
        user_id=None,
        channel=ctx.user.channel,
        event_type="report",
        name="report_completed",
    )
    await notify_admins(ctx, report.id, data, consent=consent, photo=photo)
    if consent:
        kept = ctx._("I've kept the full report for the Teman Pemilih team.")
    else:
        kept = ctx._("I've kept only the anonymous record, nothing you wrote.")
    ctx.reply(
        ctx._("✅ Thank you for speaking up!")
        + " "
        + kept
        + " "
        + ctx._("Now send your report to Bawaslu: that's what counts."),
        [[Button(ctx._("🏠 Menu"), payload="menu")]],
    )


async def notify_admins(
    ctx: Context, report_id: int, data: dict[str, Any], *, consent: bool, photo: bytes | None
) -> None:
    target = ctx.settings.admin_chat_id
    if not target:
        return
    # Admins read the default language, whatever the reporter's.
    saved_t = ctx.t
    ctx.t = ctx.core.translator(ctx.settings.default_locale)
    try:
        region = None
        if data.get("kabupaten_id"):
            region = await ctx.session.get(Region, data["kabupaten_id"])
        head = ctx._("🚨 New money-politics report #{id}").format(id=report_id)
        record = [
            head,
            "**{}:** {}".format(ctx._("Type"), category_label(ctx, data)),
            "**{}:** {}".format(
                ctx._("Kabupaten/kota"), escape(region.name) if region else ctx._("unknown")
            ),
            "**{}:** {}".format(ctx._("Date"), ctx.t.date(today_in_wib(ctx.now()))),
        ]
        if consent:
            text = "\n".join(record[:1]) + "\n\n" + summary(ctx, data)
        else:
            text = (
                "\n".join(record)
                + "\n\n"
                + ctx._("The reporter kept the details to themselves (anonymous record only).")
            )
        replies = [Reply(text)]
        if consent and photo is not None:
            replies.append(
                Reply(image=Image(photo, filename=f"report-{report_id}.jpg", caption=head))
            )
    finally:
        ctx.t = saved_t
    ctx.notify(UserRef.parse(target), replies)


@router.on_exit(FLOW)
async def report_left(ctx: Context) -> str:
    """A typed "batal"/"stop" ends the report like the Cancel button (the menu follows)."""
    await ctx.log("report", "report_cancelled", step=ctx.step)
    return ctx._("Cancelled. I didn't keep anything you wrote.")


async def cancel(ctx: Context, *, quiet: bool = False) -> None:
    step = ctx.step
    ctx.clear_state()
    await ctx.log("report", "report_cancelled", step=step)
    if not quiet:
        ctx.reply(
            ctx._("Cancelled. I didn't keep anything you wrote.")
            + "\n\n"
            + ctx._("What would you like to do? Pick one:"),
            menu_buttons(ctx.t),
        )
