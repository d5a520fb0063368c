"""Turn the core's replies into WhatsApp Cloud API message objects, within WhatsApp's limits.

Pure functions (no network, no database), so every limit is tested directly:

- text: ``*bold*``/``_italic_`` via :func:`bot.core.formatting.to_whatsapp`, split at paragraph,
  line or word boundaries into messages of at most 4096 characters;
- one to three payload buttons: interactive reply buttons (titles ≤ 20 characters, unique; a
  shortened label is listed in full in the body unless the text already shows it);
- four to ten: an interactive list (row title ≤ 24, description ≤ 72, button text ≤ 20);
- more than ten: a list of nine options and a "more" row whose id the channel resolves itself;
- URL buttons: one alone becomes a ``cta_url`` button, otherwise links written into the text;
- a location request: a ``location_request_message`` (WhatsApp shows a "Send location" button);
- an image: an ``image`` message whose media id the channel fills in after uploading it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.formatting import to_whatsapp
from bot.core.replies import Button, Image, Reply

MAX_TEXT = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_CAPTION = 1024
MAX_BUTTON_TITLE = 20
MAX_BUTTONS = 3
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_SECTION_TITLE = 24
MAX_LIST_BUTTON = 20
MAX_ROWS = 10
#: Options per page of a long list; the tenth row is "more".
PAGE_SIZE = MAX_ROWS - 1
#: Row ids starting with this are "more" presses the channel resolves (``wamore:TOKEN:PAGE``).
MORE_PREFIX = "wamore"

Gettext = Callable[[str], str]


@dataclass(frozen=True)
class OptionPages:
    """A list of more than ten options, stored so the user can page through it."""

    token: str
    text: str
    options: list[tuple[str, str]]


@dataclass
class Outgoing:
    """One message to send: the Graph API message fields (without ``to``), plus what the channel
    must do first (upload ``image``; store ``pages``)."""

    message: dict[str, Any]
    image: Image | None = field(default=None, repr=False)
    pages: OptionPages | None = None

    @property
    def kind(self) -> str:
        return str(self.message["type"])


# --------------------------------------------------------------------------- text helpers


def shorten(label: str, limit: int) -> str:
    """``label`` in at most ``limit`` characters, cut at a word boundary when sensible, with "…"."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    cut = label[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—/(") + "…"


def unique_titles(labels: Sequence[str], limit: int) -> list[str]:
    """Shortened titles, made unique (case-insensitively) with a number where two collide."""
    titles: list[str] = []
    seen: set[str] = set()
    for label in labels:
        title = shorten(label, limit) or "…"
        n = 2
        while title.casefold() in seen:
            suffix = f" {n}"
            title = shorten(label, limit - len(suffix)) + suffix
            n += 1
        seen.add(title.casefold())
        titles.append(title)
    return titles


def split_text(text: str, limit: int) -> list[str]:
    """Split into chunks of at most ``limit`` characters at paragraph, line or word boundaries."""
    chunks: list[str] = []
    text = text.strip()
    while len(text) > limit:
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = text.rfind(sep, 0, limit + 1)
            if cut >= limit // 2:
                break
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def _text_messages(text: str) -> list[Outgoing]:
    return [
        Outgoing({"type": "text", "text": {"body": chunk, "preview_url": "http" in chunk}})
        for chunk in split_text(text, MAX_TEXT)
    ]


def _lead_and_body(text: str, appendix: str, fallback: str) -> tuple[list[Outgoing], str]:
    """Text messages for what does not fit, and the interactive body (≤ 1024) for the end of it.

    ``appendix`` (e.g. the full labels of shortened buttons) always stays in the body.
    """
    room = max(MAX_INTERACTIVE_BODY - (len(appendix) + 2 if appendix else 0), 200)
    lead: list[Outgoing] = []
    body = fallback
    if text:
        parts = split_text(text, room)
        body = parts.pop()
        if parts:
            lead = _text_messages("\n\n".join(parts))
    body = "\n\n".join(p for p in (body, appendix) if p)
    return lead, body[:MAX_INTERACTIVE_BODY]


# --------------------------------------------------------------------------- interactive


def _reply_buttons(text: str, options: Sequence[Button], _: Gettext) -> list[Outgoing]:
    labels = [b.label for b in options]
    titles = unique_titles(labels, MAX_BUTTON_TITLE)
    # A shortened label is listed in full, unless the text already shows it (a quiz question
    # spells out its options: listing them twice would only make the user scroll).
    full = [
        f"• {label}"
        for label, title in zip(labels, titles, strict=True)
        if title != label and label not in text
    ]
    lead, body = _lead_and_body(text, "\n".join(full), _("Pick one:"))
    buttons = [
        {"type": "reply", "reply": {"id": b.payload, "title": title}}
        for b, title in zip(options, titles, strict=True)
    ]
    message = {
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}},
    }
    return [*lead, Outgoing(message)]


def list_message(
    body: str, options: Sequence[tuple[str, str]], _: Gettext, more_id: str | None = None
) -> dict[str, Any]:
    """An interactive list of ``(label, payload)`` rows (at most ten, counting "more")."""
    labels = [label for label, _payload in options]
    titles = unique_titles(labels, MAX_ROW_TITLE)
    rows: list[dict[str, Any]] = []
    for (label, payload), title in zip(options, titles, strict=True):
        row: dict[str, Any] = {"id": payload, "title": title}
        if title != " ".join(label.split()):
            row["description"] = shorten(label, MAX_ROW_DESCRIPTION)
        rows.append(row)
    if more_id is not None:
        rows.append(
            {
                "id": more_id,
                "title": shorten(_("More options ➡️"), MAX_ROW_TITLE),
                "description": shorten(_("Show the next options"), MAX_ROW_DESCRIPTION),
            }
        )
    assert len(rows) <= MAX_ROWS
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": shorten(_("Choose"), MAX_LIST_BUTTON),
                "sections": [{"title": shorten(_("Options"), MAX_SECTION_TITLE), "rows": rows}],
            },
        },
    }


def page_message(pages: OptionPages, page: int, _: Gettext) -> dict[str, Any] | None:
    """Page ``page`` (0-based) of a long list; ``None`` if there is no such page."""
    start = page * PAGE_SIZE
    if page < 0 or start >= len(pages.options):
        return None
    rest = pages.options[start:]
    if len(rest) <= MAX_ROWS:
        return list_message(pages.text, rest, _)
    more = f"{MORE_PREFIX}:{pages.token}:{page + 1}"
    return list_message(pages.text, rest[:PAGE_SIZE], _, more_id=more)


def parse_more(row_id: str) -> tuple[str, int] | None:
    """``(token, page)`` of a "more" row id, else ``None``."""
    parts = row_id.split(":")
    if len(parts) != 3 or parts[0] != MORE_PREFIX or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


def _list(text: str, options: Sequence[Button], _: Gettext) -> list[Outgoing]:
    pairs = [(b.label, b.payload or "") for b in options]
    lead, body = _lead_and_body(text, "", _("Pick one:"))
    if len(pairs) <= MAX_ROWS:
        return [*lead, Outgoing(list_message(body, pairs, _))]
    pages = OptionPages(secrets.token_hex(4), body, pairs)
    first = page_message(pages, 0, _)
    assert first is not None
    return [*lead, Outgoing(first, pages=pages)]


# --------------------------------------------------------------------------- replies


def render_reply(reply: Reply, _: Gettext) -> list[Outgoing]:
    """The messages that show ``reply`` on WhatsApp, in order."""
    out: list[Outgoing] = []
    if reply.image is not None:
        image: dict[str, Any] = {}
        if reply.image.caption:
            image["caption"] = to_whatsapp(reply.image.caption)[:MAX_CAPTION]
        out.append(Outgoing({"type": "image", "image": image}, image=reply.image))
    text = to_whatsapp(reply.text) if reply.text.strip() else ""
    buttons = reply.all_buttons()
    links = [b for b in buttons if b.url]
    options = [b for b in buttons if b.payload]
    if links and (options or len(links) > 1 or reply.request_location or not text):
        lines = "\n".join(f"🔗 {b.label}: {b.url}" for b in links)
        text = f"{text}\n\n{lines}" if text else lines
        links = []

    if reply.request_location:
        lead, body = _lead_and_body(text, "", _("Please share your location."))
        out.extend(lead)
        out.append(
            Outgoing(
                {
                    "type": "interactive",
                    "interactive": {
                        "type": "location_request_message",
                        "body": {"text": body},
                        "action": {"name": "send_location"},
                    },
                }
            )
        )
        if not options:
            return out
        text = _("Or pick an option:")

    if links:
        link = links[0]
        lead, body = _lead_and_body(text, "", link.label)
        cta = {
            "type": "interactive",
            "interactive": {
                "type": "cta_url",
                "body": {"text": body},
                "action": {
                    "name": "cta_url",
                    "parameters": {
                        "display_text": shorten(link.label, MAX_BUTTON_TITLE),
                        "url": link.url,
                    },
                },
            },
        }
        return [*out, *lead, Outgoing(cta)]
    if not options:
        return [*out, *_text_messages(text)] if text else out
    if len(options) <= MAX_BUTTONS:
        return [*out, *_reply_buttons(text, options, _)]
    return [*out, *_list(text, options, _)]


def render(replies: Sequence[Reply], _: Gettext) -> list[Outgoing]:
    return [m for reply in replies for m in render_reply(reply, _)]
