"""Invitation links for a referral code, per channel, and a QR code that opens one.

- Telegram: ``https://t.me/<TELEGRAM_BOT_USERNAME>?start=ref_<CODE>`` opens the bot and sends
  ``/start ref_CODE`` (a deep link).
- WhatsApp: ``https://wa.me/<WHATSAPP_NUMBER>?text=ref%20<CODE>`` opens a chat with the bot's
  public number with "ref CODE" typed in, ready to send.

Both reach :mod:`bot.core.flows.referral`, which records who brought the new user. The QR code is
a PNG made with ``segno`` (pure Python, BSD), so a school can print its code on a poster.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import quote

from bot.config import Settings


@dataclass(frozen=True)
class Invitation:
    code: str
    telegram: str | None = None
    whatsapp: str | None = None

    def links(self, first: str | None = None) -> list[str]:
        """Every link, the one for channel ``first`` (the reader's own) first."""
        pairs = [("telegram", self.telegram), ("whatsapp", self.whatsapp)]
        pairs.sort(key=lambda p: p[0] != first)
        return [link for _, link in pairs if link]

    def link_for(self, channel: str | None = None) -> str | None:
        links = self.links(channel)
        return links[0] if links else None

    @property
    def message(self) -> str:
        """What to type by hand when there is no link: ``ref CODE``."""
        return f"ref {self.code}"


def invitation(settings: Settings, code: str) -> Invitation:
    telegram = whatsapp = None
    if settings.telegram_bot_username:
        telegram = f"https://t.me/{settings.telegram_bot_username}?start=ref_{code}"
    if settings.whatsapp_number:
        whatsapp = f"https://wa.me/{settings.whatsapp_number}?text={quote(f'ref {code}')}"
    return Invitation(code, telegram, whatsapp)


def qr_png(data: str, *, scale: int = 10) -> bytes:
    """A QR code of ``data`` as PNG bytes (error correction M, a 4-module quiet zone)."""
    import segno

    out = io.BytesIO()
    segno.make(data, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
