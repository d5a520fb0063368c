"""Clean a forwarded message before matching: forward headers, chain-letter noise, emoji runs.

Family-group forwards wrap the claim in the same noise every time: a "Diteruskan" / "Forwarded"
header, "SEBARKAN!!!", "viralkan", "copas dari grup sebelah", rows of emoji and exclamation
marks. None of it says what the claim is, so it is cut before matching (and before the team sees
an unknown claim). Links are taken out too; they are matched on their own (see :mod:`.urls`).
"""

from __future__ import annotations

import re

from bot.core.factcheck.urls import URL_IN_TEXT

#: A whole line that only says the message was forwarded (optionally from someone).
_FORWARD_LINE = re.compile(
    r"^[ \t]*[\[\(*_~]*[ \t]*(?:pesan[ \t]+)?(?:diteruskan|forwarded|forward|fwd|fw|terusan)"
    r"(?:[ \t]+(?:dari|from)\b[^\n]*)?[ \t]*[\]\)*_~:]*[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
#: Chain-letter phrases that carry no claim (matched case-insensitively, whole words).
_NOISE_PHRASES = (
    r"sebar\s*kan(?:\s+(?:ke\s+semua(?:\s+(?:grup|orang|keluarga))?|ke\s+grup|seluas-luasnya|segera))?",
    r"viral\s*kan",
    r"bantu\s+(?:sebar|viralkan|share)",
    r"share\s+(?:ke\s+semua|sebanyak-banyaknya)",
    r"teruskan\s+ke\s+(?:semua|grup|keluarga|teman)[^.!?\n]*",
    r"jangan\s+berhenti\s+di\s+(?:kamu|anda|sini)",
    r"(?:copas|copy\s*paste|info)\s+dari\s+(?:grup|group|wag)\s+sebelah",
    r"dari\s+(?:grup|group|wag)\s+sebelah",
    r"mohon\s+(?:dicermati|diperhatikan|disebarkan)",
    r"semoga\s+bermanfaat",
    r"penting\s*!+",
    r"breaking\s+news",
    r"please\s+(?:share|forward)",
    r"share\s+this",
    r"pass\s+(?:it|this)\s+on",
)
_NOISE = re.compile(r"\b(?:" + "|".join(_NOISE_PHRASES) + r")\b", re.IGNORECASE)
#: Emoji and pictographs, and runs of punctuation used for shouting.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\ufe0f\u200d\u20e3]+"
)
_SHOUT = re.compile(r"([!?.*_~=#-])\1{1,}")


def strip_noise(text: str) -> str:
    """``text`` without forward headers, chain-letter phrases, emoji runs or links."""
    text = _FORWARD_LINE.sub(" ", text)
    text = URL_IN_TEXT.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _NOISE.sub(" ", text)
    text = _SHOUT.sub(r"\1", text)
    return " ".join(text.split())


def looks_forwarded(text: str) -> bool:
    """Whether ``text`` carries the marks of a forward: a header or a chain-letter phrase."""
    return bool(_FORWARD_LINE.search(text) or _NOISE.search(text))
