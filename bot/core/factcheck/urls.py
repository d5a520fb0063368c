"""Find links in a message and reduce each to a form that near-duplicates share.

``https://www.Example.com/a/b/?utm_source=wa&fbclid=x#top`` and ``example.com/a/b`` are the same
link: the scheme, ``www.``/``m.``, a trailing slash, the fragment and tracking parameters do not
matter; other parameters are kept in sorted order. Host names are case-insensitive, paths are not
(a shortener's code ``bit.ly/AbC`` differs from ``bit.ly/abc``), so a shortener link is compared by
its exact path, never by its host alone.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

#: A link in running text, with or without a scheme (``bit.ly/x``, ``www.x.id/y``).
URL_IN_TEXT = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'`]+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|id|net|org|co|me|ly|io|info|xyz|link|site|cc|at|gl|co\.id|go\.id)"
    r"/[^\s<>\"'`]*",
    re.IGNORECASE,
)
#: Query parameters that only track who shared a link.
TRACKING = re.compile(r"^(?:utm_.*|fbclid|gclid|dclid|msclkid|igshid|igsh|si|mc_cid|mc_eid|_ga)$")
#: Link shorteners: the path is the whole identity.
SHORTENERS = frozenset(
    {
        "bit.ly",
        "s.id",
        "t.co",
        "tinyurl.com",
        "goo.gl",
        "ow.ly",
        "cutt.ly",
        "shorturl.at",
        "rebrand.ly",
        "is.gd",
        "t.ly",
        "lnkd.in",
        "buff.ly",
        "rb.gy",
        "vt.tiktok.com",
        "vm.tiktok.com",
    }
)
_TRAILING = ".,;:!?)]}'\""


def extract_urls(text: str) -> list[str]:
    """Every link in ``text``, normalised (see :func:`normalise_url`), once each, in order."""
    seen: dict[str, None] = {}
    for match in URL_IN_TEXT.finditer(text):
        norm = normalise_url(match.group(0).rstrip(_TRAILING))
        if norm:
            seen.setdefault(norm, None)
    return list(seen)


def normalise_url(url: str) -> str:
    """``host/path?sorted-params`` without scheme, ``www.``, fragment or tracking parameters."""
    raw = url.strip().rstrip(_TRAILING)
    if not re.match(r"^[a-z][a-z0-9+.-]*://", raw, re.IGNORECASE):
        raw = "http://" + raw
    try:
        parts = urlsplit(raw)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in ("www.", "m."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    if not host or "." not in host:
        return ""
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if host in SHORTENERS:
        return f"{host}{path}" if path else ""
    params = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)
    )
    query = f"?{urlencode(params)}" if params else ""
    return f"{host}{path}{query}"
