"""Scrubbing open answers: NIK-like numbers, phone numbers, e-mail addresses and links are
replaced before an answer is stored, and again when the poll closes."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: A link: a scheme or www., or a bare domain; trailing punctuation stays outside it.
_LINK = re.compile(
    r"(?:(?:https?://|www\.)\S*|\b[\w-]+(?:\.[\w-]+)*\.(?:com|id|net|org|co|me|ly|io)\b\S*)"
    r"(?<![.,;:!?)])",
    re.I,
)
#: 16 digits (a NIK) or a phone number: 8+ digits with optional +62/0 and separators.
_NUMBER = re.compile(r"\+?\d(?:[\s.\-()]?\d){7,}")
_HANDLE = re.compile(r"(?<!\w)@\w{2,}")


def scrub(text: str) -> str:
    """``text`` with personal identifiers replaced by ``[…]`` markers, on one line."""
    text = _EMAIL.sub("[email]", text)
    text = _LINK.sub("[link]", text)
    text = _NUMBER.sub("[number]", text)
    text = _HANDLE.sub("[handle]", text)
    return " ".join(text.split())
