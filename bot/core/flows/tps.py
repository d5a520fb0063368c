"""Find a polling station (TPS): by postcode, place name, region picker or shared location.

Payloads (all ``tps:…``, well under 64 bytes):

- ``tps:start`` the prompt; ``tps:pick:ID:PAGE`` the region picker under region ID (0 = provinces)
- ``tps:pc:POSTCODE:PAGE`` the kelurahan with a postcode; ``tps:r:ID`` a name-search candidate
- ``tps:k:ID:PAGE:M`` a kelurahan's TPS list (M = how it was reached: p, n, r, s, v)
- ``tps:v:ID`` one TPS; ``tps:save:ID`` save a kelurahan as the user's area

Nothing the user types is stored: not in the conversation state, not in the log.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.core.context import Context
from bot.core.engine import looks_like_nik
from bot.core.events import LocationEvent, TextEvent
from bot.core.flows.tps_guide import (
    by_location,
    honest_intro,
    info_buttons,
    menu_row,
    pick_button,
    voting_day_text,
)
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.menu import menu_item
from bot.core.regions import (
    EXACT,
    PREFIX,
    RegionPath,
    children,
    region_path,
    region_paths,
    regions_by_postcode,
    search_regions_scored,
)
from bot.core.replies import Button
from bot.core.router import StaleButton, normalise_keyword, payload, router
from bot.core.understanding.content import places_of
from bot.db.models import Region
from bot.db.models_tps import Tps
from bot.tps.store import tps_counts, tps_in_region

FLOW = "tps"
PAGE = 8
#: Indonesia's 38 provinces fit two pages.
PROVINCE_PAGE = 19
POSTCODE_RE = re.compile(r"\d{5}")
METHODS = {"p": "postcode", "n": "name", "r": "region", "s": "saved", "v": "tps"}

menu_item("tps", N_("📍 Find your TPS"), payload("tps", "start"), order=15)


def _int(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise StaleButton
    return int(value)


def _page_nav(ctx: Context, page: int, pages: int, make: str) -> list[Button]:
    """⬅️/➡️ buttons; ``make`` is a payload with ``{}`` for the page number."""
    nav = []
    if page > 0:
        nav.append(Button(ctx._("⬅️ Previous"), payload=make.format(page - 1)))
    if page + 1 < pages:
        nav.append(Button(ctx._("Next ➡️"), payload=make.format(page + 1)))
    return nav


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def region_label(path: RegionPath) -> str:
    """A button label naming a region and enough of its parents to tell it apart."""
    r = path.region
    if r.level == "kelurahan":
        parents = [p.name for p in (path.kecamatan, path.kabupaten) if p is not None]
        return f"{r.name} ({', '.join(parents)})"
    if r.level == "kecamatan":
        return f"Kec. {r.name} ({path.kabupaten.name if path.kabupaten else ''})"
    if r.level == "kabupaten":
        return f"{r.name} ({path.province.name if path.province else ''})"
    return r.name


# --------------------------------------------------------------------------- entry points


@router.command("tps", description=N_("find your polling station (TPS)"), order=15)
async def tps_command(ctx: Context, args: tuple[str, ...]) -> None:
    query = " ".join(args).strip()
    if query and looks_like_nik(query):
        await ctx.log("privacy", "nik_warning")
        ctx.reply(
            ctx._(
                "That looks like a NIK (national ID number). Please never share your NIK in a "
                "chat: I don't need it to find a TPS and I have not stored it. Send a postcode "
                "or a place name instead."
            ),
            [menu_row(ctx)],
        )
        ctx.set_state(FLOW, "query")
        return
    if query:
        ctx.set_state(FLOW, "query")
        await handle_query(ctx, query)
        return
    await prompt(ctx)


async def prompt(ctx: Context, *, replace: bool = False) -> None:
    ctx.set_state(FLOW, "query")
    rows = [*info_buttons(ctx), [pick_button(ctx)]]
    if ctx.user.region_id is not None:
        saved = await ctx.session.get(Region, ctx.user.region_id)
        if saved is not None and saved.level == "kelurahan":
            label = ctx._("⭐ My area: {name}").format(name=saved.name)
            rows.append([Button(label, payload=payload("tps", "k", saved.id, 0, "s"))])
    rows.append(menu_row(ctx))
    await ctx.log("flow", "tps_start")
    ctx.reply(await honest_intro(ctx), rows, request_location=True, replace=replace)


@router.state(FLOW)
async def in_flow(ctx: Context, event: object) -> bool:
    if isinstance(event, LocationEvent):
        await by_location(ctx, event.latitude, event.longitude)
        return True
    if not isinstance(event, TextEvent):
        return False
    text = event.text.strip()
    if not text or normalise_keyword(text) in ctx.core.router.keywords:
        return False
    await handle_query(ctx, text)
    return True


@router.location
async def on_location(ctx: Context, event: object) -> bool:
    """A location shared outside any flow: find the nearest TPS."""
    if not isinstance(event, LocationEvent):
        return False
    ctx.set_state(FLOW, "query")
    await by_location(ctx, event.latitude, event.longitude)
    return True


async def handle_query(ctx: Context, text: str) -> None:
    compact = re.sub(r"\s+", "", text)
    if POSTCODE_RE.fullmatch(compact):
        await by_postcode(ctx, compact, 0)
    elif compact.isdigit():
        await ctx.log("tps", "tps_lookup", method="postcode", found=False, valid=False)
        ctx.reply(
            ctx._(
                "A postcode has exactly 5 digits (for example 12110). Send it again, or send "
                "the name of your kelurahan/desa."
            ),
            [menu_row(ctx)],
            request_location=True,
        )
    else:
        await by_name(ctx, text)


# --------------------------------------------------------------------------- buttons


@router.button("tps")
async def tps_button(ctx: Context, args: list[str]) -> None:
    if not args:
        raise StaleButton
    action, rest = args[0], args[1:]
    if action == "start" and not rest:
        await prompt(ctx, replace=True)
    elif action == "pick" and len(rest) == 2:
        await picker(ctx, _int(rest[0]), _int(rest[1]))
    elif action == "pc" and len(rest) == 2 and POSTCODE_RE.fullmatch(rest[0]):
        await by_postcode(ctx, rest[0], _int(rest[1]))
    elif action == "r" and len(rest) == 1:
        region = await ctx.session.get(Region, _int(rest[0]))
        if region is None:
            raise StaleButton
        if region.level == "kelurahan":
            await show_kelurahan(ctx, region.id, 0, "n")
        else:
            await picker(ctx, region.id, 0)
    elif action == "k" and len(rest) == 3 and rest[2] in METHODS:
        await show_kelurahan(ctx, _int(rest[0]), _int(rest[1]), rest[2])
    elif action == "v" and len(rest) == 1:
        await show_tps(ctx, _int(rest[0]))
    elif action == "save" and len(rest) == 1:
        await save_area(ctx, _int(rest[0]))
    else:
        raise StaleButton


# --------------------------------------------------------------------------- look-ups


async def by_postcode(ctx: Context, postcode: str, page: int) -> None:
    regions = await regions_by_postcode(ctx.session, postcode)
    if not regions:
        await ctx.log("tps", "tps_lookup", method="postcode", found=False)
        ctx.reply(
            ctx._(
                "I don't know the postcode {postcode}. Check it, or send the name of your "
                "kelurahan/desa instead."
            ).format(postcode=postcode),
            [
                [
                    Button(
                        ctx._("🗺️ Pick my area step by step"), payload=payload("tps", "pick", 0, 0)
                    )
                ],
                menu_row(ctx),
            ],
            request_location=True,
        )
        return
    if len(regions) == 1:
        await show_kelurahan(ctx, regions[0].id, 0, "p")
        return
    pages = (len(regions) + PAGE - 1) // PAGE
    if page >= pages:
        raise StaleButton
    shown = regions[page * PAGE : (page + 1) * PAGE]
    paths = await region_paths(ctx.session, shown)
    counts = await tps_counts(ctx.session, [r.id for r in shown])
    rows = [
        [
            Button(
                _tps_suffix(ctx, region_label(paths[r.id]), counts.get(r.id, 0)),
                payload=payload("tps", "k", r.id, 0, "p"),
            )
        ]
        for r in shown
    ]
    nav = _page_nav(ctx, page, pages, payload("tps", "pc", postcode, "{}"))
    if nav:
        rows.append(nav)
    rows.append(menu_row(ctx))
    ctx.reply(
        ctx.t.ngettext(
            "Postcode {postcode} covers {n} kelurahan/desa. Which one is yours?",
            "Postcode {postcode} covers {n} kelurahan/desa. Which one is yours?",
            len(regions),
        ).format(postcode=postcode, n=ctx.t.number(len(regions))),
        rows,
        replace=page > 0,
    )


def _tps_suffix(ctx: Context, label: str, count: int) -> str:
    if not count:
        return label
    return ctx.t.ngettext("{label} · {n} TPS", "{label} · {n} TPS", count).format(
        label=label, n=ctx.t.number(count)
    )


async def by_name(ctx: Context, text: str) -> None:
    # Aliases from content/places.yaml first: "jaksel" → "jakarta selatan", "sby" → "surabaya".
    query = places_of(ctx.content).search_text(text)
    scored = await search_regions_scored(ctx.session, query, limit=PAGE)
    found = [region for region, _ in scored]
    if not found:
        await ctx.log("tps", "tps_lookup", method="name", found=False)
        ctx.reply(
            ctx._(
                "I couldn't find a place called “{query}”. Check the spelling, try your "
                "kecamatan or kabupaten/kota, or pick your area step by step."
            ).format(query=escape(_short(text, 60))),
            [
                [
                    Button(
                        ctx._("🗺️ Pick my area step by step"), payload=payload("tps", "pick", 0, 0)
                    )
                ],
                menu_row(ctx),
            ],
            request_location=True,
        )
        return
    exact = [region for region, score in scored if score >= EXACT]
    if len(exact) == 1 and len([r for r, score in scored if score >= PREFIX]) == 1:
        # One place has exactly that name (aliases spelled out): go there. A near spelling is
        # never taken for granted, even when it is the only one: the user picks it below.
        if exact[0].level == "kelurahan":
            await show_kelurahan(ctx, exact[0].id, 0, "n")
        else:
            await ctx.log("tps", "tps_lookup", method="name", found=True)
            await picker(ctx, exact[0].id, 0)
        return
    paths = await region_paths(ctx.session, found)
    counts = await tps_counts(ctx.session, [r.id for r in found if r.level == "kelurahan"])
    rows = [
        [
            Button(
                _tps_suffix(ctx, region_label(paths[r.id]), counts.get(r.id, 0)),
                payload=payload("tps", "r", r.id),
            )
        ]
        for r in found
    ]
    rows.append(
        [Button(ctx._("🗺️ Pick my area step by step"), payload=payload("tps", "pick", 0, 0))]
    )
    rows.append(menu_row(ctx))
    if exact:
        ask = ctx._("Which one do you mean? Pick the closest match:")
    else:
        ask = ctx._("I didn't find “{query}” exactly. Did you mean one of these?").format(
            query=escape(_short(text, 60))
        )
    ctx.reply(ask, rows)


PICK_PROMPTS = {
    None: N_("Pick your province:"),
    "province": N_("Pick your kabupaten/kota in **{name}**:"),
    "kabupaten": N_("Pick your kecamatan in **{name}**:"),
    "kecamatan": N_("Pick your kelurahan/desa in **{name}**:"),
}


async def picker(ctx: Context, region_id: int, page: int) -> None:
    parent = None
    if region_id:
        parent = await ctx.session.get(Region, region_id)
        if parent is None:
            raise StaleButton
        if parent.level == "kelurahan":
            await show_kelurahan(ctx, parent.id, 0, "r")
            return
    items = await children(ctx.session, parent.id if parent else None)
    size = PAGE if parent else PROVINCE_PAGE
    pages = max(1, (len(items) + size - 1) // size)
    if page >= pages:
        raise StaleButton
    if not items:
        ctx.reply(
            ctx._(
                "I don't have the regions yet. Ask whoever runs this bot to run "
                "`votebot regions import`."
            ),
            [menu_row(ctx)],
        )
        return
    shown = items[page * size : (page + 1) * size]
    rows = []
    for r in shown:
        target = payload("tps", "k", r.id, 0, "r") if r.level == "kelurahan" else None
        rows.append([Button(r.name, payload=target or payload("tps", "pick", r.id, 0))])
    nav = _page_nav(ctx, page, pages, payload("tps", "pick", region_id, "{}"))
    if nav:
        rows.append(nav)
    back = payload("tps", "pick", parent.parent_id or 0, 0) if parent else payload("tps", "start")
    rows.append([Button(ctx._("⬆️ Back"), payload=back), *menu_row(ctx)])
    text = ctx._(PICK_PROMPTS[parent.level if parent else None]).format(
        name=escape(parent.name) if parent else ""
    )
    if pages > 1:
        text += "\n" + ctx._("(page {page} of {pages})").format(
            page=ctx.t.number(page + 1), pages=ctx.t.number(pages)
        )
    ctx.reply(text, rows, replace=region_id > 0 or page > 0)


def save_button(ctx: Context, region_id: int) -> list[list[Button]]:
    if ctx.user.region_id == region_id:
        return []
    return [[Button(ctx._("⭐ Save as my area"), payload=payload("tps", "save", region_id))]]


async def show_kelurahan(ctx: Context, region_id: int, page: int, method: str) -> None:
    path = await region_path(ctx.session, region_id)
    if path is None or path.region.level != "kelurahan":
        raise StaleButton
    items, total = await tps_in_region(ctx.session, region_id, offset=page * PAGE, limit=PAGE)
    pages = max(1, (total + PAGE - 1) // PAGE)
    if page >= pages:
        raise StaleButton
    if page == 0 and method in ("p", "n", "r"):
        await ctx.log("tps", "tps_lookup", method=METHODS[method], found=total > 0)
    ctx.set_state(FLOW, "query")
    parents = ", ".join(p.name for p in (path.kecamatan, path.kabupaten, path.province) if p)
    head = f"**{escape(path.region.name)}**\n{escape(parents)}"
    if path.region.postcode:
        head += " " + path.region.postcode
    rows: list[list[Button]] = []
    if total:
        text = (
            head
            + "\n\n"
            + ctx.t.ngettext(
                "I know {n} TPS here. Pick yours:", "I know {n} TPS here. Pick yours:", total
            ).format(n=ctx.t.number(total))
        )
        rows.extend(
            [
                Button(
                    f"TPS {t.number:03d} · {_short(t.address, 32)}",
                    payload=payload("tps", "v", t.id),
                )
            ]
            for t in items
        )
        nav = _page_nav(ctx, page, pages, payload("tps", "k", region_id, "{}", method))
        if nav:
            rows.append(nav)
    else:
        text = (
            head
            + "\n\n"
            + ctx._(
                "I don't have TPS data for this kelurahan/desa yet: my data is only as complete "
                "as what has been imported. Check your registration (and your TPS) at "
                "cekdptonline.kpu.go.id; type your NIK only there."
            )
            + "\n\n"
            + voting_day_text(ctx, path.timezone)
        )
        rows.extend(info_buttons(ctx))
    rows.extend(save_button(ctx, region_id))
    rows.append([Button(ctx._("🔎 Search again"), payload=payload("tps", "start")), *menu_row(ctx)])
    ctx.reply(text, rows, replace=page > 0)


def map_buttons(ctx: Context, tps: Tps, path: RegionPath) -> list[Button]:
    if tps.latitude is not None and tps.longitude is not None:
        lat, lon = f"{tps.latitude:.6f}", f"{tps.longitude:.6f}"
        osm = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
        google = f"https://www.google.com/maps/search/?api=1&query={lat},{lon}"
    else:
        area = quote(path.label())
        osm = f"https://www.openstreetmap.org/search?query={area}"
        google = f"https://www.google.com/maps/search/?api=1&query={area}"
    return [
        Button(ctx._("🗺️ OpenStreetMap"), url=osm),
        Button(ctx._("🗺️ Google Maps"), url=google),
    ]


async def show_tps(ctx: Context, tps_id: int) -> None:
    tps = await ctx.session.get(Tps, tps_id)
    if tps is None:
        raise StaleButton
    path = await region_path(ctx.session, tps.region_id)
    if path is None:
        raise StaleButton
    await ctx.log("tps", "tps_viewed", has_location=tps.latitude is not None)
    ctx.clear_state()  # the search is over: the card is the answer, not a step to come back to
    lines = [
        f"**TPS {tps.number:03d} · {escape(path.region.name)}**",
        escape(", ".join(p.name for p in (path.kecamatan, path.kabupaten, path.province) if p)),
        "",
        ctx._("📫 Address: {address}").format(address=escape(tps.address)),
    ]
    if tps.latitude is None:
        lines.append(ctx._("(No exact position for this TPS: the map shows the area.)"))
    if tps.accessibility:
        lines.append(ctx._("♿ Accessibility: {notes}").format(notes=escape(tps.accessibility)))
    if tps.voters:
        lines.append(ctx._("👥 Registered voters: {n}").format(n=ctx.t.number(tps.voters)))
    text = "\n".join(lines) + "\n\n" + voting_day_text(ctx, path.timezone)
    rows = [map_buttons(ctx, tps, path), *info_buttons(ctx), *save_button(ctx, tps.region_id)]
    rows.append(
        [
            Button(ctx._("⬅️ TPS list"), payload=payload("tps", "k", tps.region_id, 0, "v")),
            *menu_row(ctx),
        ]
    )
    ctx.reply(text, rows)


async def save_area(ctx: Context, region_id: int) -> None:
    path = await region_path(ctx.session, region_id)
    if path is None or path.region.level != "kelurahan":
        raise StaleButton
    had = ctx.user.region_id is not None
    ctx.user.region_id = region_id
    await ctx.log("tps", "region_saved", replaced=had)
    ctx.reply(
        ctx._(
            "⭐ Saved: **{place}** is now your area. I'll offer it first when you look for your "
            "TPS, and count you in it (never by name) in regional statistics. Save another "
            "area any time to change it."
        ).format(place=escape(path.label())),
        [
            [Button(ctx._("⬅️ TPS list"), payload=payload("tps", "k", region_id, 0, "s"))],
            menu_row(ctx),
        ],
    )
