"""Short replies typed inside a flow: yes, no, cancel, stop, and the language words.

``classify_reply("iyaaa 👍", "id")`` is ``"yes"``. Case, accents, punctuation, emoji and
elongations ("okeee", "nggakkk") do not matter, nor do chatty particles around the word
("iya kak", "boleh deh", "no thanks"). A whole message must be the reply: "ya tapi kapan?" is a
question, not a yes, and gets ``None``.

People mix languages, so both languages' words count whatever the user's locale; ``locale`` is
kept in the signature so a locale can add words of its own.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Answer = Literal["yes", "no", "cancel", "stop"]

# fmt: off
#: Emoji that are a whole answer on their own (checked before emoji are stripped).
_EMOJI: dict[str, Answer] = {
    "👍": "yes", "👌": "yes", "✅": "yes", "🙆": "yes", "👎": "no", "❌": "no", "🙅": "no",
    "🛑": "stop",
}

_PHRASES: dict[Answer, tuple[str, ...]] = {
    "yes": (
        "iya", "ya", "iy", "y", "yoi", "yo", "boleh", "oke", "ok", "okay", "okey", "okeh",
        "okedeh", "sip", "gas", "gaskeun", "siap", "yes", "yup", "yep", "yeah", "yea", "sure",
        "mau", "setuju", "ayo", "ayok", "yuk", "hayuk", "lanjut", "tentu", "bener", "betul",
        "of course", "ok gas", "iya boleh", "boleh banget", "mau banget", "yes please",
        "okay sure", "go", "go ahead", "let's go", "lets go",
    ),
    "no": (
        "nggak", "enggak", "engga", "ngga", "nggk", "gak", "ga", "g", "gk", "tidak", "tdk",
        "ndak", "ora", "moh", "nanti", "ntar", "nanti aja", "nanti saja", "nanti dulu",
        "ntar aja", "ntar dulu", "lain kali", "ga usah", "gak usah", "nggak usah", "ngga usah",
        "tidak usah", "gausah", "gk usah", "jangan", "belum", "blm", "no", "nope", "nah",
        "not now", "not yet", "no thanks", "no thank you", "maybe later", "later",
        "ga dulu", "gak dulu", "nggak dulu", "tidak dulu", "no way",
    ),
    "cancel": (
        "batal", "batalin", "batalkan", "gajadi", "ga jadi", "gak jadi", "nggak jadi",
        "enggak jadi", "ngga jadi", "tidak jadi", "gk jadi", "udah", "udahan", "sudah",
        "sudahan", "cukup", "cancel", "nevermind", "never mind", "nvm", "forget it", "keluar",
        "exit", "quit",
    ),
    "stop": ("stop", "berhenti", "stop dulu", "stop it", "please stop"),
}

#: Chatty words that may surround a reply without changing it ("iya kak", "boleh deh").
_PARTICLES = frozenset((
    "dong", "deh", "aja", "saja", "sih", "nih", "kok", "kak", "ka", "kakak", "min", "mimin",
    "bang", "bro", "sis", "gan", "mas", "mba", "mbak", "bos", "ya", "yah", "please", "pls",
    "plz", "thanks", "thank", "makasih", "mksh", "terima", "kasih", "ok",
))
# fmt: on

#: Words that pick a language at the language step (to the locale code).
LANGUAGE_WORDS: dict[str, str] = {
    "indo": "id",
    "indonesia": "id",
    "bahasa": "id",
    "bahasa indonesia": "id",
    "b indo": "id",
    "bindo": "id",
    "id": "id",
    "english": "en",
    "inggris": "en",
    "bahasa inggris": "en",
    "eng": "en",
    "en": "en",
    "inggeris": "en",
}

_ELONGATION = re.compile(r"(.)\1+")


def fold(text: str) -> str:
    """Lower case, accents, emoji and punctuation removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.split())


def _squeeze(text: str) -> str:
    """``fold`` plus elongations collapsed ("okeee" → "oke", "nggakkk" → "ngak")."""
    return _ELONGATION.sub(r"\1", fold(text))


def _table() -> dict[str, Answer]:
    table: dict[str, Answer] = {}
    for answer, phrases in _PHRASES.items():
        for phrase in phrases:
            table[_squeeze(phrase)] = answer
    return table


_TABLE = _table()
_SQUEEZED_PARTICLES = frozenset(_squeeze(p) for p in _PARTICLES)


def _strip_particles(words: list[str]) -> list[str]:
    """Drop particles after the first word, and a leading particle before a reply word."""
    if len(words) > 1:
        rest = [w for w in words[1:] if w not in _SQUEEZED_PARTICLES]
        words = [words[0], *rest]
    if len(words) > 1 and words[0] in _SQUEEZED_PARTICLES and " ".join(words[1:]) in _TABLE:
        words = words[1:]
    return words


def classify_reply(text: str, locale: str) -> Answer | None:
    """``"yes"``, ``"no"``, ``"cancel"``, ``"stop"``, or ``None`` when ``text`` is none of them."""
    stripped = "".join(text.split())
    if stripped:
        emoji = {_EMOJI.get(c) for c in stripped if unicodedata.category(c)[0] not in "ZM"}
        emoji.discard(None)
        if len(emoji) == 1 and not fold(text):
            return emoji.pop()
    squeezed = _squeeze(text)
    if not squeezed:
        return None
    if squeezed in _TABLE:
        return _TABLE[squeezed]
    words = squeezed.split()
    # "iya iya", "ok ok ok": the same word repeated
    deduped = [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]
    for candidate in (deduped, _strip_particles(deduped)):
        phrase = " ".join(candidate)
        if phrase in _TABLE:
            return _TABLE[phrase]
    return None


def language_of(text: str) -> str | None:
    """The locale a typed language word names ("indo" → ``id``, "inggris" → ``en``), if any."""
    words = fold(text).split()
    while len(words) > 1 and words[-1] in _PARTICLES:
        words.pop()
    return LANGUAGE_WORDS.get(" ".join(words))
