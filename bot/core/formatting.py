"""Render the core's Markdown subset for each kind of client.

The core writes ``**bold**``, ``_italic_``, ``[label](url)``, paragraphs and ``- `` lists. Parsing
is
done by markdown-it-py (CommonMark), so escaping is handled by a real parser, not regular
expressions; :func:`escape` protects user-supplied text before it is put into a reply.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt

_ESCAPE_RE = re.compile(r"([\\`*_\[\]()#+\-.!|{}>~<&])")


_BLOCK_START_RE = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|>|#)")


def unwrap_soft_breaks(markdown: str) -> str:
    """Join the lines of each paragraph with spaces (a single newline in content is a wrap).

    Blank lines, list items, quotes, headings and hard breaks (two trailing spaces or ``\\``)
    stay as they are. Content files use this; what volunteers type keeps its line breaks.
    """
    out: list[str] = []
    for line in markdown.split("\n"):
        prev = out[-1] if out else ""
        joinable = (
            out
            and prev.strip()
            and line.strip()
            and not _BLOCK_START_RE.match(line)
            and not prev.endswith(("  ", "\\"))
        )
        if joinable:
            out[-1] = prev.rstrip() + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def escape(text: str) -> str:
    """Escape text so that it is shown literally, never as formatting."""
    return _ESCAPE_RE.sub(r"\\\1", text)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("zero").enable(["emphasis", "link", "list", "escape", "newline", "backticks"])
    md.options["breaks"] = True
    return md


Inline = Callable[[str, str], str]


def _render_inline(children: list[Any], style: dict[str, Callable[..., str]]) -> str:
    out: list[str] = []
    stack: list[tuple[str, str, int]] = []  # (kind, href, start index in out)
    for tok in children:
        t = tok.type
        if t == "text":
            out.append(style["text"](tok.content))
        elif t in ("softbreak", "hardbreak"):
            out.append("\n")
        elif t == "code_inline":
            out.append(style["code"](tok.content))
        elif t in ("strong_open", "em_open"):
            stack.append((t[:-5], "", len(out)))
        elif t == "link_open":
            stack.append(("link", str(tok.attrs.get("href", "")), len(out)))
        elif t in ("strong_close", "em_close", "link_close") and stack:
            kind, href, start = stack.pop()
            inner = "".join(out[start:])
            del out[start:]
            out.append(style[kind](inner, href) if kind == "link" else style[kind](inner))
    return "".join(out)


def _render(text: str, style: dict[str, Callable[..., str]]) -> str:
    tokens = _parser().parse(text)
    blocks: list[str] = []
    list_depth = 0
    pending_bullet = False
    for tok in tokens:
        if tok.type == "bullet_list_open":
            list_depth += 1
        elif tok.type == "bullet_list_close":
            list_depth -= 1
            if list_depth == 0:
                blocks.append("")
        elif tok.type == "list_item_open":
            pending_bullet = True
        elif tok.type == "inline":
            line = _render_inline(tok.children or [], style)
            if pending_bullet:
                indent = "  " * (list_depth - 1)
                blocks.append(f"{indent}• {line}")
                pending_bullet = False
            else:
                blocks.append(line)
        elif tok.type == "paragraph_close" and list_depth == 0:
            blocks.append("")
    while blocks and blocks[-1] == "":
        blocks.pop()
    out: list[str] = []
    for block in blocks:
        if block == "" and out and out[-1] == "":
            continue
        out.append(block)
    return "\n".join(out)


_PLAIN: dict[str, Callable[..., str]] = {
    "text": lambda s: s,
    "code": lambda s: s,
    "strong": lambda s: s,
    "em": lambda s: s,
    "link": lambda s, href: s if s == href else f"{s} ({href})",
}
_TERMINAL: dict[str, Callable[..., str]] = {
    **_PLAIN,
    "strong": lambda s: f"\033[1m{s}\033[0m",
    "em": lambda s: f"\033[3m{s}\033[0m",
}
_HTML: dict[str, Callable[..., str]] = {
    "text": lambda s: html.escape(s, quote=False),
    "code": lambda s: f"<code>{html.escape(s, quote=False)}</code>",
    "strong": lambda s: f"<b>{s}</b>",
    "em": lambda s: f"<i>{s}</i>",
    "link": lambda s, href: f'<a href="{html.escape(href)}">{s}</a>',
}
_WHATSAPP: dict[str, Callable[..., str]] = {
    "text": lambda s: s,
    "code": lambda s: f"```{s}```",
    "strong": lambda s: f"*{s}*",
    "em": lambda s: f"_{s}_",
    "link": lambda s, href: s if s == href else f"{s}: {href}",
}


def to_plain(text: str) -> str:
    """Plain text, links written out."""
    return _render(text, _PLAIN)


def to_terminal(text: str) -> str:
    """Plain text with ANSI bold and italic, for an interactive terminal."""
    return _render(text, _TERMINAL)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def no_surrogates(text: str) -> str:
    """``text`` with lone UTF-16 surrogates (a client's broken emoji) replaced by U+FFFD.

    A Python string decoded from JSON holds a surrogate only when it had no partner; it cannot be
    encoded to UTF-8 (PostgreSQL, HTTP bodies) or UTF-16, so it is replaced on the way in.
    """
    return _SURROGATE_RE.sub("\ufffd", text)


#: Rendered replies kept per channel format: the menu and the pages are the same text again and
#: again, and parsing Markdown was a tenth of a WhatsApp reply's CPU. Bounded; process memory.
_RENDERED = 512


@lru_cache(maxsize=_RENDERED)
def to_telegram_html(text: str) -> str:
    """Telegram's HTML parse mode: only ``<b> <i> <a> <code>``, everything else escaped."""
    return _render(no_surrogates(text), _HTML)


@lru_cache(maxsize=_RENDERED)
def to_whatsapp(text: str) -> str:
    """WhatsApp's formatting: ``*bold*``, ``_italic_``, links written out."""
    return _render(text, _WHATSAPP)
