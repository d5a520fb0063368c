"""What the TPS flow says besides the look-ups: the honest introduction, voting-day hours from the
facts ledger, what to bring, and the nearest stations to a shared location.

Honest first: no national dataset of TPS positions is public, and the TPS a voter is registered at
is known only to KPU. So the flow leads with KPU's own look-up (cekdptonline.kpu.go.id, where the
NIK is typed and nowhere else), then offers what this bot knows: the stations an operator imported
for their area, the hours and what to bring.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.flows.info import format_sources, with_facts
from bot.core.formatting import escape
from bot.core.regions import region_paths
from bot.core.replies import Button
from bot.core.router import payload
from bot.db.models import Region
from bot.db.models_tps import Tps
from bot.tps.store import count_tps, nearest_tps

CEKDPT_URL = "https://cekdptonline.kpu.go.id"


def menu_row(ctx: Context) -> list[Button]:
    return [Button(ctx._("🏠 Menu"), payload="menu")]


def pick_button(ctx: Context) -> Button:
    return Button(ctx._("🗺️ Pick my area step by step"), payload=payload("tps", "pick", 0, 0))


def distance_text(ctx: Context, metres: float) -> str:
    if metres < 1000:
        return ctx._("{n} m").format(n=ctx.t.number(max(10, round(metres, -1))))
    return ctx._("{n} km").format(n=ctx.t.number(round(metres / 1000, 1)))


def tps_name(ctx: Context, tps: Tps, path: object | None) -> str:
    where = getattr(getattr(path, "region", None), "name", "") if path else ""
    return ctx._("TPS {number} {place}").format(number=f"{tps.number:03d}", place=where).strip()


def fact(ctx: Context, fact_id: str) -> tuple[str, list[str]]:
    """A fact's value in the user's language and its sources' titles (from the ledger)."""
    ledger = ctx.content.facts
    if ledger is None:
        raise LookupError(f"no facts ledger loaded (needed for {fact_id})")
    value = ledger.value(fact_id, ctx.locale)
    if value is None:
        raise LookupError(f"fact {fact_id} is not in the ledger")
    return value, [s.title for s in ledger.sources_of([fact_id])]


async def honest_intro(ctx: Context) -> str:
    """The /tps introduction: KPU's look-up first, then what the bot can do with its data."""
    known = await count_tps(ctx.session)
    hours, _ = fact(ctx, "tps-hours")
    text = ctx._(
        "📍 **Find your TPS**\n\n"
        "**Your own TPS** (its number and address) is on KPU's site: open "
        "cekdptonline.kpu.go.id and type your NIK **there, and only there**. I never need "
        "your NIK.\n\n"
        "**What I can do:** TPS open {hours} on voting day, and I can tell you what to bring."
    ).format(hours=escape(hours))
    if known:
        text += " " + ctx._(
            "I also know the TPS the team imported for some areas: send your **postcode** "
            "(5 digits) or the name of your **kelurahan/desa**, kecamatan or kabupaten/kota, "
            "**share your location** for the nearest one, or pick your area step by step. "
            "The nearest TPS isn't always yours: KPU's site has the one you're registered at."
        )
    else:
        text += " " + ctx._(
            "No TPS list has been imported here yet, so I can't show stations; pick your area "
            "and I'll show the hours in your time zone and what to bring."
        )
    return text


def voting_day_text(ctx: Context, timezone: str | None) -> str:
    """Hours and what to bring, every rule from the facts ledger (with its sources).

    Short enough for one WhatsApp interactive body (1024 characters) with the TPS details and
    links; what DPTb and DPK voters bring, and when they vote, is a tap away."""
    if timezone:
        hours = ctx._("🕖 Open **{{fact:tps-hours}}** on voting day (here: {zone}).")
    else:
        hours = ctx._("🕖 Open **{{fact:tps-hours}}** on voting day.")
    template = "\n".join(
        [
            hours,
            ctx._("🪪 On the DPT? Bring {{fact:bring-dpt}}."),
            ctx._("On the DPTb or DPK? Tap “🎒 What to bring”."),
        ]
    )
    text, sources = with_facts(ctx, template)
    if timezone:
        text = text.replace("{zone}", timezone)
    return text + "\n\n" + format_sources(ctx, sources)


def info_buttons(ctx: Context) -> list[list[Button]]:
    return [
        [
            Button(ctx._("🔎 My TPS at KPU (cekdptonline)"), url=CEKDPT_URL),
            Button(ctx._("🎒 What to bring"), payload=payload("page", "what-to-bring")),
        ]
    ]


async def by_location(ctx: Context, lat: float, lon: float) -> None:
    found = await nearest_tps(ctx.session, lat, lon, limit=3)
    await ctx.log("tps", "tps_lookup", method="location", found=bool(found))
    if not found:
        ctx.reply(
            ctx._(
                "Thanks for the location! I don't have any TPS data within about 100 km of "
                "it. My data is only as complete as what has been imported. Your own TPS is "
                "always on KPU's site, cekdptonline.kpu.go.id (type your NIK only there)."
            ),
            [*info_buttons(ctx), [pick_button(ctx)], menu_row(ctx)],
        )
        return
    paths = await region_paths(
        ctx.session,
        [r for r in [await ctx.session.get(Region, t.region_id) for t, _ in found] if r],
    )
    nearest, metres = found[0]
    lines = [
        ctx._(
            "Thanks for the location! 📍 The nearest TPS I know is **{tps}**, "
            "about {distance} away."
        ).format(
            tps=escape(tps_name(ctx, nearest, paths.get(nearest.region_id))),
            distance=distance_text(ctx, metres),
        ),
    ]
    if len(found) > 1:
        lines.append(ctx._("Also nearby:"))
        lines.extend(
            f"- {escape(tps_name(ctx, t, paths.get(t.region_id)))}: {distance_text(ctx, d)}"
            for t, d in found[1:]
        )
    lines.append(
        ctx._(
            "The nearest TPS isn't always yours: you vote at the TPS where you are registered. "
            "Check yours at cekdptonline.kpu.go.id."
        )
    )
    rows = [
        [Button(tps_name(ctx, t, paths.get(t.region_id)), payload=payload("tps", "v", t.id))]
        for t, _ in found
    ]
    rows.append(menu_row(ctx))
    ctx.reply("\n".join(lines[:1]) + "\n\n" + "\n".join(lines[1:]), rows)
