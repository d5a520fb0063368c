"""The pledge against money politics: read, sign, name and area, counts, share, reminders.

Steps: ``/janji`` shows the pledge → one tap signs → optionally the name to show and the
kabupaten/kota → thanks with counts (a regional count under 10 reads "fewer than 10") → a share
message with the signer's personal referral link.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.core.context import Context
from bot.core.events import TextEvent
from bot.core.flows.info import format_sources
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.invites import invitation
from bot.core.menu import menu_item
from bot.core.picker import get_kabupaten, kabupaten_buttons, kabupaten_of
from bot.core.pledge import PLEDGE_ID, PledgeText
from bot.core.replies import Button
from bot.core.router import StaleButton, payload, router
from bot.db import pledge_repo
from bot.db.models import Region

FLOW = "pledge"
JAKARTA = ZoneInfo("Asia/Jakarta")
#: Regional counts below this are shown as "fewer than 10", so nobody can be singled out.
PRIVACY_FLOOR = 10
NAME_MAX = 32

menu_item("pledge", N_("🤝 Pledge against money politics"), FLOW, order=30)


def menu_row(ctx: Context) -> list[Button]:
    return [Button(ctx._("🏠 Menu"), payload="menu")]


def pledge_text(ctx: Context) -> PledgeText | None:
    item = ctx.content.get("pledge", PLEDGE_ID, ctx.locale)
    return item if isinstance(item, PledgeText) else None


# --------------------------------------------------------------------------- reading


@router.command(
    "janji", description=N_("the pledge against money politics"), aliases=("pledge",), order=30
)
async def pledge_command(ctx: Context, args: tuple[str, ...]) -> None:
    await show_pledge(ctx)


@router.keyword("janji", "pledge", "ikrar")
async def pledge_keyword(ctx: Context) -> None:
    await show_pledge(ctx)


async def show_pledge(ctx: Context) -> None:
    text = pledge_text(ctx)
    if text is None:
        ctx.reply(ctx._("The pledge is not available right now."), [menu_row(ctx)])
        return
    pledge = await pledge_repo.get_pledge(ctx.session, ctx.user.id)
    signed = pledge is not None and pledge.withdrawn_at is None
    await ctx.log("pledge", "pledge_viewed", signed=signed)
    points = "\n".join(f"- {escape(p)}" for p in text.meta.points)
    body = (
        f"**{escape(text.meta.title)}**\n\n{text.body}\n\n"
        + ctx._("**I pledge:**")
        + f"\n{points}\n\n{format_sources(ctx, text.meta.sources)}"
    )
    if pledge is not None and signed:
        status = ctx._("✅ You signed this pledge on {date}.").format(
            # The day in Jakarta time, like the certificate (a late-evening signature in WIB
            # is still that day, not the next one in UTC).
            date=ctx.t.date(pledge.signed_at.astimezone(JAKARTA).date())
        )
        rows = [
            [Button(ctx._("📣 Share my link"), payload=payload(FLOW, "share"))],
            [await reminder_button(ctx)],
            [Button(ctx._("Withdraw my signature"), payload=payload(FLOW, "withdraw"))],
            menu_row(ctx),
        ]
        ctx.reply(body)
        ctx.reply(status, rows)
        return
    ctx.reply(
        body,
        [[Button(ctx._("✍️ Sign the pledge"), payload=payload(FLOW, "sign"))], menu_row(ctx)],
    )


# --------------------------------------------------------------------------- signing


@router.button(FLOW)
async def pledge_button(ctx: Context, args: list[str]) -> None:
    action, rest = (args[0], args[1:]) if args else ("", [])
    if action == "" and not rest:
        await show_pledge(ctx)
    elif action == "sign" and not rest:
        await sign(ctx)
    elif action == "skipname" and not rest:
        if ctx.flow != FLOW or ctx.step != "name":
            raise StaleButton
        await ask_region(ctx)
    elif action == "kab" and len(rest) == 1:
        region = await get_kabupaten(ctx.session, rest[0])
        if region is None or ctx.flow != FLOW or ctx.step != "region":
            raise StaleButton
        await set_region(ctx, region)
    elif action == "skipregion" and not rest:
        if ctx.flow != FLOW or ctx.step != "region":
            raise StaleButton
        ctx.clear_state()
        await thanks(ctx)
    elif action == "share" and not rest:
        await share(ctx)
    elif action == "withdraw" and not rest:
        await confirm_withdraw(ctx)
    elif action == "withdraw" and rest == ["yes"]:
        await withdraw(ctx)
    elif action == "remind" and rest in (["on"], ["off"]):
        await set_reminder(ctx, rest == ["on"])
    else:
        raise StaleButton


async def sign(ctx: Context) -> None:
    if pledge_text(ctx) is None:
        raise StaleButton
    kabupaten = await kabupaten_of(ctx.session, ctx.user.region_id)
    kab_id = kabupaten.id if kabupaten is not None else None
    result = await pledge_repo.sign_pledge(ctx.session, ctx.user.id, kab_id)
    if result == "already":
        await ctx.log("pledge", "pledge_sign_repeated")
        ctx.reply(ctx._("You've already signed. A signature only ever counts once. 💪"))
        await thanks(ctx, greet=False)
        return
    props: dict[str, Any] = {"again": result == "resigned"}
    if kab_id is not None:
        props["kabupaten_id"] = kab_id
    await ctx.log("pledge", "pledge_signed", **props)
    ask_name(ctx)


def ask_name(ctx: Context) -> None:
    ctx.set_state(FLOW, "name")
    text = ctx._(
        "✍️ Signed! Would you like a name shown with your signature? Type the name to show "
        "(up to {max} characters), or tap Skip."
    ).format(max=NAME_MAX)
    if ctx.user.display_name:
        text += "\n\n" + ctx._("Right now it's **{name}**; tap Skip to keep it.").format(
            name=escape(ctx.user.display_name)
        )
    ctx.reply(text, [[Button(ctx._("Skip"), payload=payload(FLOW, "skipname"))]])


def name_problem(ctx: Context, name: str) -> str | None:
    """Why a display name is refused, or ``None`` if it is fine."""
    if sum(c.isdigit() for c in name) > 4:
        return ctx._(
            "Please leave the numbers out: never put an ID number (NIK) or a phone number in "
            "your name."
        )
    if not 2 <= len(name) <= NAME_MAX:
        return ctx._("A name needs 2 to {max} characters.").format(max=NAME_MAX)
    if not any(c.isalpha() for c in name):
        return ctx._("A name needs at least one letter.")
    if re.search(r"://|www\.|@", name, re.IGNORECASE) or any(
        unicodedata.category(c).startswith("C") for c in name
    ):
        return ctx._("Please type just a name, without links or special characters.")
    return None


async def ask_region(ctx: Context) -> None:
    pledge = await pledge_repo.get_pledge(ctx.session, ctx.user.id)
    if pledge is not None and pledge.kabupaten_id is not None:
        ctx.clear_state()
        await thanks(ctx)
        return
    ctx.set_state(FLOW, "region")
    ctx.reply(
        ctx._(
            "Which kabupaten or kota do you live in? Type its name (e.g. Blora) so I can count "
            "the signers near you, or tap Skip."
        ),
        [[Button(ctx._("Skip"), payload=payload(FLOW, "skipregion"))]],
    )


@router.state(FLOW)
async def pledge_state(ctx: Context, event: Any) -> bool:
    if not isinstance(event, TextEvent):
        return False
    text = " ".join(event.text.split())
    if ctx.step == "name":
        problem = name_problem(ctx, text)
        if problem is not None:
            await ctx.log("pledge", "display_name_rejected")
            ctx.reply(
                problem + " " + ctx._("Try again, or tap Skip."),
                [[Button(ctx._("Skip"), payload=payload(FLOW, "skipname"))]],
            )
            return True
        ctx.user.display_name = text
        await ctx.log("pledge", "display_name_set")
        await ask_region(ctx)
        return True
    if ctx.step == "region":
        rows = await kabupaten_buttons(ctx.session, text, FLOW, "kab")
        skip = [Button(ctx._("Skip"), payload=payload(FLOW, "skipregion"))]
        if not rows:
            await ctx.log("pledge", "region_not_found")
            ctx.reply(
                ctx._(
                    "I couldn't find a kabupaten or kota called “{query}”. Check the spelling "
                    "and try again, or tap Skip."
                ).format(query=escape(text[:60])),
                [skip],
            )
            return True
        ctx.reply(ctx._("Which one is it?"), [*rows, skip])
        return True
    return False


async def set_region(ctx: Context, region: Region) -> None:
    await pledge_repo.set_pledge_kabupaten(ctx.session, ctx.user.id, region.id)
    # Save it as the user's area only if they have none, or just a province.
    saved = await ctx.session.get(Region, ctx.user.region_id) if ctx.user.region_id else None
    if saved is None or saved.level == "province":
        ctx.user.region_id = region.id
    await ctx.log("pledge", "pledge_region_set", kabupaten_id=region.id)
    ctx.clear_state()
    await thanks(ctx)


# --------------------------------------------------------------------------- thanks & share


async def thanks(ctx: Context, *, greet: bool = True) -> None:
    pledge = await pledge_repo.get_pledge(ctx.session, ctx.user.id)
    if pledge is None or pledge.withdrawn_at is not None:
        raise StaleButton
    total = await pledge_repo.count_signers(ctx.session)
    lines = []
    if greet:
        if ctx.user.display_name:
            lines.append(
                ctx._("🙌 Thank you, {name}! Your vote is not for sale.").format(
                    name=escape(ctx.user.display_name)
                )
            )
        else:
            lines.append(ctx._("🙌 Thank you! Your vote is not for sale."))
    lines.append(
        ctx.t.ngettext(
            "**{count}** person has signed the pledge so far.",
            "**{count}** people have signed the pledge so far.",
            total,
        ).format(count=ctx.t.number(total))
    )
    if pledge.kabupaten_id is not None:
        region = await ctx.session.get(Region, pledge.kabupaten_id)
        if region is not None:
            local = await pledge_repo.count_signers(ctx.session, region.id)
            if local >= PRIVACY_FLOOR:
                text = ctx.t.ngettext(
                    "In {region}: **{count}** signer.", "In {region}: **{count}** signers.", local
                ).format(region=escape(region.name), count=ctx.t.number(local))
            else:
                text = ctx._("In {region}: **fewer than 10** signers so far.").format(
                    region=escape(region.name)
                )
            lines.append(text)
    ctx.reply("\n".join(lines))
    await share(ctx)


async def invite_link(ctx: Context) -> tuple[str, str | None]:
    """The user's invitation: ``(text to share, the link for their channel or None)``.

    Every configured channel's link is in the text (the reader's own channel first). Telegram
    takes its username from getMe and WhatsApp its number from the webhook when they are not
    configured, so only the simulator has no link: then the text asks the friend to ask the
    sender where the bot is (no link that leads nowhere, and no guessed address).
    """
    code = (await pledge_repo.personal_code(ctx.session, ctx.user.id)).code
    inv = invitation(ctx.settings, code)
    links = inv.links(ctx.user.channel)
    if links:
        return " ".join(links), links[0]
    how = ctx._("ask me where to find it, then send it “ref {code}”").format(code=code)
    return how, None


async def share(ctx: Context) -> None:
    pledge = await pledge_repo.get_pledge(ctx.session, ctx.user.id)
    if pledge is None or pledge.withdrawn_at is not None:
        raise StaleButton
    invite, link = await invite_link(ctx)
    message = ctx._(
        "I've pledged to refuse money politics 🤝 My vote is not for sale, and neither is "
        "yours. Take the pledge with Teman Pemilih: {invite}"
    ).format(invite=invite)
    await ctx.log("pledge", "share_shown", link=link is not None)
    ctx.reply(ctx._("📣 Get your friends on board! Forward the next message to them:"))
    rows: list[list[Button]] = []
    if link is not None and link.startswith("https://t.me/"):
        share_url = f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(message)}"
        rows.append([Button(ctx._("📣 Share on Telegram"), url=share_url)])
    elif link is not None:
        rows.append(
            [Button(ctx._("📣 Share on WhatsApp"), url=f"https://wa.me/?text={quote(message)}")]
        )
    rows.append([await reminder_button(ctx)])
    rows.append(menu_row(ctx))
    ctx.reply(escape(message), rows)


# --------------------------------------------------------------------------- withdraw


async def confirm_withdraw(ctx: Context) -> None:
    pledge = await pledge_repo.get_pledge(ctx.session, ctx.user.id)
    if pledge is None or pledge.withdrawn_at is not None:
        raise StaleButton
    ctx.reply(
        ctx._("Withdraw your signature? It will no longer count. You can sign again any time."),
        [
            [
                Button(ctx._("Yes, withdraw"), payload=payload(FLOW, "withdraw", "yes")),
                Button(ctx._("No, keep it"), payload=FLOW),
            ]
        ],
    )


async def withdraw(ctx: Context) -> None:
    if not await pledge_repo.withdraw_pledge(ctx.session, ctx.user.id):
        raise StaleButton
    ctx.clear_state()
    # The reminder was asked for with the pledge: it goes with it.
    await pledge_repo.set_reminder(ctx.session, ctx.user.id, False)
    await ctx.log("pledge", "pledge_withdrawn")
    ctx.reply(
        ctx._("Your signature is withdrawn. Changed your mind? You can sign again any time."),
        [[Button(ctx._("✍️ Sign the pledge"), payload=payload(FLOW, "sign"))], menu_row(ctx)],
    )


# --------------------------------------------------------------------------- reminders


async def reminder_button(ctx: Context) -> Button:
    if await pledge_repo.has_reminder(ctx.session, ctx.user.id):
        return Button(ctx._("🔕 No voting-day reminder"), payload=payload(FLOW, "remind", "off"))
    return Button(ctx._("🔔 Remind me on voting day"), payload=payload(FLOW, "remind", "on"))


async def set_reminder(ctx: Context, on: bool) -> None:
    pledge = await pledge_repo.get_pledge(ctx.session, ctx.user.id)
    if on and (pledge is None or pledge.withdrawn_at is not None):
        ctx.reply(
            ctx._("Voting-day reminders are for pledge signers. Sign the pledge first!"),
            [[Button(ctx._("🤝 Read the pledge"), payload=FLOW)], menu_row(ctx)],
        )
        return
    # Only this consent: asking for the reminder is not asking for other broadcasts.
    await pledge_repo.set_reminder(ctx.session, ctx.user.id, on)
    if on:
        await ctx.log("pledge", "reminder_opt_in")
        text = ctx._(
            "🔔 Done! I'll remind you the evening before and the morning of voting day. "
            "Send /stop any time to stop all reminders."
        )
    else:
        await ctx.log("pledge", "reminder_opt_out")
        text = ctx._("🔕 Okay, no voting-day reminder.")
    ctx.reply(text, [[await reminder_button(ctx)], menu_row(ctx)])
