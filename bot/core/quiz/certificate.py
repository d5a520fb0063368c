"""The "Pemilih Cerdas" certificate: a PNG drawn with Pillow, no system fonts needed.

Pillow's built-in font (``ImageFont.load_default(size=…)``, Aileron) is scalable when Pillow has
FreeType, which its wheels always include; every text is fitted to the page width.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 850
MAX_NAME = 40
_INK = (24, 39, 71)
_ACCENT = (196, 30, 58)  # the red of the flag
_GOLD = (191, 148, 56)
_PAPER = (253, 251, 245)

_DIGITS_RE = re.compile(r"\d")


class InvalidName(ValueError):
    """The name cannot go on a certificate: ``reason`` is ``length``, ``digits``, ``letters`` or
    ``emoji``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_emoji(char: str) -> bool:
    """Pictographs and symbols the certificate's font cannot draw (they would print as boxes)."""
    code = ord(char)
    return (
        unicodedata.category(char) == "So"
        or 0x1F000 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or 0xFE00 <= code <= 0xFE0F
    )


def clean_name(raw: str, max_length: int = MAX_NAME) -> str:
    """A printable name: control characters dropped, spaces collapsed, checked.

    Raises :class:`InvalidName` when it is too short or long, has no letters, or has five or
    more digits (which could be an id or phone number, not a name).
    """
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    text = "".join(c for c in text if not unicodedata.category(c).startswith("C"))
    if len(_DIGITS_RE.findall(text)) >= 5:
        raise InvalidName("digits")
    if any(_is_emoji(c) for c in text):
        raise InvalidName("emoji")
    if not any(c.isalpha() for c in text):
        raise InvalidName("letters")
    if not 2 <= len(text) <= max_length:
        raise InvalidName("length")
    return text


@dataclass(frozen=True)
class CertificateText:
    """Every line of the certificate, already translated."""

    heading: str  # "CERTIFICATE"
    title: str  # "Pemilih Cerdas"
    presented_to: str  # "presented to"
    name: str
    reason: str  # "for completing every Teman Pemilih quiz with at least 80%"
    date_line: str  # "Issued on 5 March 2025"
    signature: str  # "Teman Pemilih"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _fit(
    draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The largest font up to ``size`` that fits ``text`` in ``max_width`` pixels."""
    while size > 12:
        font = _font(size)
        if draw.textlength(text, font=font) <= max_width:
            return font
        size -= 2
    return _font(size)


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
    width: int,
) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def render_certificate(text: CertificateText) -> bytes:
    """The certificate as PNG bytes (1200×850)."""
    img = Image.new("RGB", (WIDTH, HEIGHT), _PAPER)
    draw = ImageDraw.Draw(img)
    draw.rectangle((24, 24, WIDTH - 25, HEIGHT - 25), outline=_INK, width=6)
    draw.rectangle((44, 44, WIDTH - 45, HEIGHT - 45), outline=_GOLD, width=2)
    draw.rectangle((44, 44, WIDTH - 45, 64), fill=_ACCENT)
    cx, usable = WIDTH // 2, WIDTH - 220

    def centred(
        y: int,
        line: str,
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
        fill: tuple[int, int, int],
    ) -> None:
        draw.text((cx, y), line, font=font, fill=fill, anchor="mm")

    centred(140, text.heading.upper(), _fit(draw, text.heading.upper(), 40, usable), _GOLD)
    centred(225, text.title, _fit(draw, text.title, 96, usable), _ACCENT)
    centred(330, text.presented_to, _fit(draw, text.presented_to, 30, usable), _INK)
    centred(420, text.name, _fit(draw, text.name, 72, usable), _INK)
    draw.line((cx - 320, 475, cx + 320, 475), fill=_GOLD, width=3)
    reason_font = _font(30)
    for i, line in enumerate(_wrap(draw, text.reason, reason_font, usable)[:3]):
        centred(535 + i * 42, line, reason_font, _INK)
    centred(690, text.date_line, _fit(draw, text.date_line, 28, usable), _INK)
    centred(760, text.signature, _fit(draw, text.signature, 34, usable), _ACCENT)
    # a simple seal: a ballot box tick in a gold ring
    draw.ellipse((WIDTH - 230, HEIGHT - 230, WIDTH - 90, HEIGHT - 90), outline=_GOLD, width=6)
    draw.line(
        [(WIDTH - 195, HEIGHT - 160), (WIDTH - 168, HEIGHT - 130), (WIDTH - 120, HEIGHT - 190)],
        fill=_ACCENT,
        width=10,
    )
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
