"""``/siaran uji``: a volunteer tests two versions of a prepared broadcast in chat, with a 10%
holdout that gets nothing (as ``votebot broadcast create --variants … --holdout 10%``).

pick version A → pick version B (or A alone against the holdout) → pick what counts as
success → who gets it → the split, the sample size needed and a confirm button.
"""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.events import TextEvent
from bot.core.flows.siaran import PRESETS, _files
from bot.core.i18n import N_
from bot.core.replies import Button
from bot.core.roles import can_broadcast
from bot.core.router import StaleButton, payload, router
from bot.core.segments import SegmentError, audience_size, parse_segment
from bot.core.understanding.content import places_of
from bot.experiments import service
from bot.experiments.stats import sample_size

FLOW = "sx"
HOLDOUT = 0.1
WINDOW_DAYS = 7
MIN_EFFECT = 5.0

#: Outcomes offered in chat (a link outcome needs an address: use the command line).
GOALS: dict[str, str] = {
    "content": N_("Opened a page or an answer"),
    "quiz_started": N_("Started a quiz"),
    "quiz_finished": N_("Finished a quiz"),
    "pledge": N_("Signed the pledge"),
    "referral": N_("Brought a friend"),
}


def _cancel(ctx: Context) -> list[Button]:
    return [Button(ctx._("❌ Cancel"), payload=payload(FLOW, "cancel"))]


def _file_rows(ctx: Context, skip: str | None = None) -> list[list[Button]]:
    return [
        [Button(f.meta.title[:40], payload=payload(FLOW, "file", f.meta.id))]
        for f in _files(ctx).values()
        if f.meta.id != skip and len(payload(FLOW, "file", f.meta.id).encode()) <= 64
    ]


async def start(ctx: Context) -> None:
    """``/siaran uji`` (from :func:`bot.core.flows.siaran.siaran_command`)."""
    await ctx.log("siaran", "experiment_started")
    ctx.set_state(FLOW, "a")
    ctx.reply(
        ctx._(
            "🧪 **Test two versions.** Each subscriber gets version A or B at random, and "
            "10% get nothing, so we can see whether the message itself makes a difference. "
            "Pick version A:"
        ),
        [*_file_rows(ctx), _cancel(ctx)],
    )


@router.button(FLOW)
async def sx_button(ctx: Context, args: list[str]) -> None:
    if not args or not can_broadcast(ctx.user) or ctx.flow != FLOW:
        raise StaleButton
    action, rest = args[0], args[1:]
    data = ctx.data
    if action == "cancel":
        ctx.clear_state()
        ctx.reply(ctx._("Okay, nothing was sent."), replace=True)
    elif action == "file" and ctx.step == "a" and len(rest) == 1 and rest[0] in _files(ctx):
        ctx.set_state(FLOW, "b", a=rest[0])
        rows = _file_rows(ctx, skip=rest[0])
        only = Button(ctx._("Only version A"), payload=payload(FLOW, "only"))
        ctx.reply(ctx._("Now pick version B:"), [*rows, [only], _cancel(ctx)])
    elif ctx.step == "b" and (
        action == "only" or (action == "file" and len(rest) == 1 and rest[0] in _files(ctx))
    ):
        ctx.set_state(FLOW, "goal", **data, b=rest[0] if action == "file" else None)
        rows = [
            [Button(ctx._(label), payload=payload(FLOW, "goal", key))]
            for key, label in GOALS.items()
        ]
        ctx.reply(ctx._("What counts as success, within 7 days?"), [*rows, _cancel(ctx)])
    elif action == "goal" and ctx.step == "goal" and len(rest) == 1 and rest[0] in GOALS:
        ctx.set_state(FLOW, "segment", **data, goal=rest[0])
        rows = [
            [Button(ctx._(label), payload=payload(FLOW, "seg", key))]
            for key, (label, _) in PRESETS.items()
        ]
        ctx.reply(
            ctx._("Who should take part? Pick a group, or type a segment."),
            [*rows, _cancel(ctx)],
        )
    elif action == "seg" and ctx.step == "segment" and len(rest) == 1 and rest[0] in PRESETS:
        await preview(ctx, PRESETS[rest[0]][1])
    elif action == "go" and ctx.step == "confirm":
        await create(ctx)
    else:
        raise StaleButton


@router.state(FLOW)
async def sx_state(ctx: Context, event: Any) -> bool:
    if not isinstance(event, TextEvent) or not can_broadcast(ctx.user):
        return False
    if ctx.step == "segment":
        await preview(ctx, event.text.strip())
        return True
    return False


async def preview(ctx: Context, expression: str) -> None:
    data = ctx.data
    try:
        segment = parse_segment(expression, places_of(ctx.content))
        sizes = await audience_size(
            ctx.session, segment, default_locale=ctx.settings.default_locale
        )
    except SegmentError as exc:
        ctx.reply(
            ctx._("I couldn't use that segment: {error}. Pick a group or try again.").format(
                error=str(exc)
            ),
            [_cancel(ctx)],
        )
        return
    total = sum(sizes.values())
    variants = 2 if data.get("b") else 1
    per_arm, _ = sample_size(0.1, MIN_EFFECT, HOLDOUT / ((1 - HOLDOUT) / variants))
    needed = int(per_arm * variants / (1 - HOLDOUT)) + 1
    ctx.set_state(FLOW, "confirm", **{**data, "segment": segment.describe()})
    text = ctx._(
        "{n} subscribers ({segment}): {variants} version(s), 10% hold-out. To tell a "
        "5-point change apart from chance you need about {needed} people."
    ).format(
        n=ctx.t.number(total),
        segment=segment.describe(),
        variants=variants,
        needed=ctx.t.number(needed),
    )
    if total < needed:
        text += "\n" + ctx._("⚠️ This group is smaller: the result may stay unclear.")
    go = Button(ctx._("🧪 Start the test"), payload=payload(FLOW, "go"))
    ctx.reply(text, [[go], _cancel(ctx)])


async def create(ctx: Context) -> None:
    data = ctx.data
    files = _files(ctx)
    chosen = [str(data["a"]), *([str(data["b"])] if data.get("b") else [])]
    if any(c not in files for c in chosen):
        raise StaleButton
    variants = [
        service.Variant(files[c].meta.title, files[c].texts(ctx.core.translator), c) for c in chosen
    ]
    try:
        e = await service.create_experiment(
            ctx.session,
            ctx.settings,
            variants=variants,
            holdout=HOLDOUT,
            segment=parse_segment(str(data.get("segment", "all"))),
            creator=ctx.user,
            outcomes=[str(data["goal"])],
            window_days=WINDOW_DAYS,
            min_effect=MIN_EFFECT,
            via="chat",
        )
    except service.ExperimentError:
        ctx.clear_state()
        ctx.reply(ctx._("Nobody subscribed is in that group right now."))
        return
    ctx.clear_state()
    await ctx.log("siaran", "experiment_created", experiment_id=e.id)
    ctx.reply(
        ctx._(
            "🧪 Test #{id} is on its way. The result is final after {days} days: "
            "votebot experiment show {id}, or the dashboard."
        ).format(id=e.id, days=WINDOW_DAYS)
    )
