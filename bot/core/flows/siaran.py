"""``/siaran``: volunteers and admins compose a broadcast in chat.

write a message or pick a prepared one → choose the segment (buttons, or type an expression) →
audience size and a preview → confirm. With the two-person rule on, admins get an approve button.
"""

from __future__ import annotations

from typing import Any

from bot.core import broadcasts as bc
from bot.core.context import Context
from bot.core.events import TextEvent, UserRef
from bot.core.i18n import N_
from bot.core.regions import region_path
from bot.core.replies import Button, Reply
from bot.core.roles import ADMIN, admins, can_broadcast
from bot.core.router import StaleButton, payload, router
from bot.core.segments import SegmentError, audience_size, parse_segment
from bot.core.understanding.content import places_of
from bot.core.whatsapp_costs import CHANNEL as WHATSAPP
from bot.core.whatsapp_costs import whatsapp_cost
from bot.db.models import User
from bot.db.models_broadcast import AWAITING_APPROVAL, Broadcast

FLOW = "siaran"
MAX_TEXT = 3000
SEGMENT_TERMS = "all, locale=, province=, kabupaten=, channel=, referral=, active_days=, " + (
    "pledged, quiz_finished, reminder"
)

#: Segment presets offered as buttons: key → (label, expression).
PRESETS: dict[str, tuple[str, str]] = {
    "all": (N_("Everyone subscribed"), "all"),
    "pledged": (N_("Pledge signers"), "pledged"),
    "quiz": (N_("Quiz finishers"), "quiz_finished"),
    "active": (N_("Active in the last 30 days"), "active_days=30"),
}


def _menu_button(ctx: Context) -> list[Button]:
    return [Button(ctx._("🏠 Menu"), payload="menu")]


def _cancel_button(ctx: Context) -> list[Button]:
    return [Button(ctx._("❌ Cancel"), payload=payload(FLOW, "cancel"))]


def _files(ctx: Context) -> dict[str, bc.BroadcastFile]:
    files, _ = bc.broadcast_files(
        ctx.settings.content_dir, ctx.core.locales, ctx.settings.default_locale
    )
    return {f.meta.id: f for f in files if len(payload(FLOW, "file", f.meta.id).encode()) <= 64}


@router.command(FLOW, aliases=("broadcast",))
async def siaran_command(ctx: Context, args: tuple[str, ...]) -> None:
    if not can_broadcast(ctx.user):
        await ctx.log("siaran", "refused")
        ctx.reply(
            ctx._(
                "Sorry, sending messages to everyone is only for the Teman Pemilih volunteer "
                "team. 🙏 If you'd like to help out, ask the people who run this bot."
            ),
            [_menu_button(ctx)],
        )
        return
    if args and args[0].lower() in ("uji", "test"):  # two versions and a holdout
        from bot.core.flows.siaran_uji import start

        await start(ctx)
        return
    await ctx.log("siaran", "started")
    ctx.set_state(FLOW, "compose")
    rows = [
        [Button(f.meta.title[:40], payload=payload(FLOW, "file", f.meta.id))]
        for f in _files(ctx).values()
    ]
    ctx.reply(
        ctx._(
            "📣 **New broadcast.** Write the message to send (it goes out exactly as you write "
            "it), or pick a prepared one:"
        ),
        [*rows, _cancel_button(ctx)],
    )


@router.state(FLOW)
async def siaran_state(ctx: Context, event: Any) -> bool:
    if not isinstance(event, TextEvent) or not can_broadcast(ctx.user):
        return False
    text = event.text.strip()
    if ctx.step == "compose":
        if not text:
            ctx.reply(
                ctx._("Your message looks empty. Write the text to send:"), [_cancel_button(ctx)]
            )
            return True
        if len(text) > MAX_TEXT:
            ctx.reply(
                ctx._("That's too long for one message: keep it under {n} characters.").format(
                    n=ctx.t.number(MAX_TEXT)
                ),
                [_cancel_button(ctx)],
            )
            return True
        ctx.set_state(FLOW, "segment", text=text, title=text.splitlines()[0][:60])
        await ask_segment(ctx)
        return True
    if ctx.step == "segment":
        await preview(ctx, text)
        return True
    return False


async def ask_segment(ctx: Context) -> None:
    rows = [
        [Button(ctx._(label), payload=payload(FLOW, "seg", key))]
        for key, (label, _) in PRESETS.items()
    ]
    if ctx.user.region_id is not None:
        path = await region_path(ctx.session, ctx.user.region_id)
        if path is not None and path.province is not None:
            rows.append(
                [
                    Button(
                        ctx._("Only {area}").format(area=path.province.name)[:60],
                        payload=payload(FLOW, "seg", "province"),
                    )
                ]
            )
        if path is not None and path.kabupaten is not None:
            rows.append(
                [
                    Button(
                        ctx._("Only {area}").format(area=path.kabupaten.name)[:60],
                        payload=payload(FLOW, "seg", "kabupaten"),
                    )
                ]
            )
    rows.append(_cancel_button(ctx))
    text = ctx._(
        "Who should get it? Pick a group, or type a segment such as "
        "“locale=id,province=Jateng,pledged” (terms: {terms})."
    ).format(terms=SEGMENT_TERMS)
    if ctx.settings.sandbox:
        text += "\n\n" + ctx._(
            "🧪 This is the sandbox: simulator users count in every group, and each of them "
            "gets the broadcast printed in the simulator, the way it would arrive. Real users "
            "never see it."
        )
    ctx.reply(text, rows)


async def preview(ctx: Context, expression: str) -> None:
    data = ctx.data
    try:
        segment = parse_segment(expression, places_of(ctx.content))
        sizes = await audience_size(
            ctx.session,
            segment,
            default_locale=ctx.settings.default_locale,
            sandbox=ctx.settings.sandbox,
        )
    except SegmentError as exc:
        await ctx.log("siaran", "bad_segment")
        ctx.reply(
            ctx._("I couldn't use that segment: {error}. Pick a group or try again.").format(
                error=exc.translate(ctx._)
            ),
            [_cancel_button(ctx)],
        )
        return
    total = sum(sizes.values())
    ctx.set_state(FLOW, "confirm", **{**data, "segment": segment.describe()})
    draft = Broadcast(texts=_texts(ctx, data))
    shown = bc.render_for(draft, ctx.t, ctx.settings.default_locale)[0].text
    if total == 0:
        ctx.reply(
            ctx._("Nobody subscribed is in that group right now. Pick another group:"),
        )
        ctx.set_state(FLOW, "segment", **data)
        await ask_segment(ctx)
        return
    count = ctx.t.ngettext(
        "It will go to **{n} person** ({segment}). This is what they'll see:",
        "It will go to **{n} people** ({segment}). This is what they'll see:",
        total,
    ).format(n=ctx.t.number(total), segment=segment.describe())
    ctx.reply(count)
    if sizes.get(WHATSAPP):
        cost = await whatsapp_cost(
            ctx.session, segment, settings=ctx.settings, content=ctx.content, now=ctx.now()
        )
        if cost is not None:
            ctx.reply(cost.describe(ctx.t))
    ctx.reply(shown)
    ctx.reply(
        ctx._("Send it?"),
        [
            [Button(ctx._("✅ Send"), payload=payload(FLOW, "send"))],
            _cancel_button(ctx),
        ],
    )


def _texts(ctx: Context, data: dict[str, Any]) -> dict[str, str]:
    if data.get("file"):
        file = _files(ctx).get(str(data["file"]))
        if file is None:
            raise StaleButton
        return file.texts(ctx.core.translator)
    return {ctx.locale: str(data.get("text", ""))}


@router.button(FLOW)
async def siaran_button(ctx: Context, args: list[str]) -> None:
    if not args:
        raise StaleButton
    action, rest = args[0], args[1:]
    if action in ("approve", "reject"):
        await review(ctx, action, rest)
        return
    if not can_broadcast(ctx.user) or ctx.flow != FLOW:
        raise StaleButton
    if action == "cancel":
        ctx.clear_state()
        await ctx.log("siaran", "cancelled")
        ctx.reply(ctx._("Okay, nothing was sent."), [_menu_button(ctx)], replace=True)
    elif action == "file" and ctx.step == "compose" and len(rest) == 1:
        file = _files(ctx).get(rest[0])
        if file is None:
            raise StaleButton
        ctx.set_state(FLOW, "segment", file=file.meta.id, title=file.meta.title)
        await ask_segment(ctx)
    elif action == "seg" and ctx.step == "segment" and len(rest) == 1:
        await preview(ctx, await _preset(ctx, rest[0]))
    elif action == "send" and ctx.step == "confirm":
        await send(ctx)
    else:
        raise StaleButton


async def _preset(ctx: Context, key: str) -> str:
    if key in PRESETS:
        return PRESETS[key][1]
    if key in ("province", "kabupaten") and ctx.user.region_id is not None:
        path = await region_path(ctx.session, ctx.user.region_id)
        region = None if path is None else getattr(path, key)
        if region is not None:
            return f"{key}={region.id}"
    raise StaleButton


async def send(ctx: Context) -> None:
    data = ctx.data
    segment = parse_segment(str(data.get("segment", "all")))
    b = await bc.create_broadcast(
        ctx.session,
        ctx.settings,
        title=str(data.get("title") or "/siaran"),
        texts=_texts(ctx, data),
        segment=segment,
        creator=ctx.user,
        content_id=str(data["file"]) if data.get("file") else None,
        via="chat",
    )
    ctx.clear_state()
    if b.status == AWAITING_APPROVAL:
        ctx.reply(
            ctx._(
                "📝 Broadcast #{id} is ready and waiting for an admin's approval. "
                "I'll let you know how it goes."
            ).format(id=b.id),
            [_menu_button(ctx)],
        )
        await ask_admins(ctx, b)
        return
    ctx.reply(
        ctx.t.ngettext(
            "📣 Broadcast #{id} is queued for {n} person. I'll tell you how it's going.",
            "📣 Broadcast #{id} is queued for {n} people. I'll tell you how it's going.",
            b.audience,
        ).format(id=b.id, n=ctx.t.number(b.audience)),
        [_menu_button(ctx)],
    )


async def ask_admins(ctx: Context, b: Broadcast) -> None:
    for admin in await admins(ctx.session):
        if admin.id == ctx.user.id:
            continue
        t = ctx.core.translator(ctx.core.user_locale(admin.locale, admin.language_code))
        draft = bc.render_for(b, t, ctx.settings.default_locale)[0].text
        ctx.notify(
            UserRef(admin.channel, admin.external_id),
            [
                Reply(
                    t.ngettext(
                        "🔔 A volunteer wants to send broadcast #{id} to {n} person "
                        "({segment}). It needs your approval:",
                        "🔔 A volunteer wants to send broadcast #{id} to {n} people "
                        "({segment}). It needs your approval:",
                        b.audience,
                    ).format(id=b.id, n=t.number(b.audience), segment=b.segment)
                ),
                Reply(
                    draft,
                    [
                        [
                            Button(t.gettext("✅ Approve"), payload=payload(FLOW, "approve", b.id)),
                            Button(t.gettext("❌ Reject"), payload=payload(FLOW, "reject", b.id)),
                        ]
                    ],
                ),
            ],
        )


async def review(ctx: Context, action: str, rest: list[str]) -> None:
    if len(rest) != 1 or not rest[0].isdigit():
        raise StaleButton
    if ctx.user.role != ADMIN:
        await ctx.log("siaran", "review_refused")
        ctx.reply(ctx._("Only an admin can approve or reject a broadcast."), [_menu_button(ctx)])
        return
    try:
        b = await bc.get_broadcast(ctx.session, int(rest[0]), lock=True)
    except bc.BroadcastError:
        raise StaleButton from None
    if b.status != AWAITING_APPROVAL:
        ctx.reply(
            ctx._("Broadcast #{id} is no longer waiting for approval.").format(id=b.id),
            [_menu_button(ctx)],
        )
        return
    if b.created_by_id == ctx.user.id:
        ctx.reply(ctx._("A broadcast needs a second person: ask another admin to approve it."))
        return
    if action == "approve":
        await bc.approve(ctx.session, b.id, ctx.user)
        await ctx.log("siaran", "approved", broadcast_id=b.id)
        ctx.reply(ctx._("✅ Approved: broadcast #{id} is on its way.").format(id=b.id))
        note = N_("✅ Your broadcast #{id} was approved and is on its way.")
    else:
        await bc.cancel(ctx.session, b.id, ctx.user)
        await ctx.log("siaran", "rejected", broadcast_id=b.id)
        ctx.reply(ctx._("Broadcast #{id} was rejected; nothing was sent.").format(id=b.id))
        note = N_("Your broadcast #{id} was not approved, so nothing was sent.")
    if b.created_by_id is not None:
        creator = await ctx.session.get(User, b.created_by_id)
        if creator is not None:
            t = ctx.core.translator(ctx.core.user_locale(creator.locale, creator.language_code))
            ctx.notify(
                UserRef(creator.channel, creator.external_id),
                [Reply(t.gettext(note).format(id=b.id))],
            )
