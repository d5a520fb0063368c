"""Remove personal data from a forwarded text before the team sees it.

A forward can carry the NIK, phone number or e-mail of whoever wrote or passed it on, and a
"Diteruskan dari Pak Budi" header names a person. Those are replaced by placeholders; links stay
(they are what the checkers need) but in their normalised form, without tracking parameters
that can identify who shared them.
"""

from __future__ import annotations

import re

from bot.core.factcheck.urls import URL_IN_TEXT, normalise_url

#: 16 digits, groups separated by spaces, dots or dashes allowed.
NIK = re.compile(r"(?<!\d)(?:\d[\s.\-]?){15}\d(?!\d)")
#: Indonesian mobile and landline numbers: +62 / 62 / 0 then 8–12 more digits.
PHONE = re.compile(r"(?<![\w+])(?:\+62|62|0)[\s.\-]?\d(?:[\s.\-]?\d){7,12}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: "Diteruskan dari Pak Budi", "[Forwarded from Tante Rina]": the name after dari/from, to EOL.
FORWARDER = re.compile(
    r"(?im)^([ \t]*[\[\(*_~]*[ \t]*(?:pesan[ \t]+)?(?:diteruskan|forwarded|forward|fwd|terusan|"
    r"dikirim|kiriman|copas|info)[ \t]+(?:dari|from))[ \t]+[^\n]+$"
)
#: "dari Pak Budi:" at the start of a line, as forwards are often introduced.
FROM_LINE = re.compile(r"(?im)^([ \t]*(?:dari|from))[ \t]+[^\n:]{1,40}:")
MAX_STORED = 1000


def scrub(text: str) -> str:
    """``text`` without NIKs, phone numbers, e-mails or forwarders' names; links normalised."""
    out = FORWARDER.sub(r"\1 [nama]", text)
    out = FROM_LINE.sub(r"\1 [nama]:", out)
    out = URL_IN_TEXT.sub(lambda m: normalise_url(m.group(0)) or "[link]", out)
    out = EMAIL.sub("[email]", out)
    out = NIK.sub("[NIK]", out)
    out = PHONE.sub("[nomor]", out)
    lines = [" ".join(line.split()) for line in out.splitlines()]
    return "\n".join(line for line in lines if line)[:MAX_STORED]
