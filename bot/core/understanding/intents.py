"""Intents (``content/<locale>/intents.yaml``): menu items and small talk reachable by words.

::

    tps:                      # the intent's name (same names in every locale)
      command: tps            # run this command's handler (as if /tps was sent) ...
      phrases: [tps, cari tps, tps aku dimana]
    thanks:
      reply: Sama-sama! 😊    # ... or answer with this text (≤ 600 characters)
      menu: false             # show the main menu under the reply (default: no)
      phrases: [makasih, thx]
    neutrality:
      reply: ...
      link: page:check-candidates   # optional button, as for FAQ entries
      phrases: [partai apa yg bagus]
    out-of-scope:
      reply: ...
      unanswered: true        # counts as not answered (the team sees the question)
      phrases: [...]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.content import ContentError, ContentErrors, check_slug
from bot.core.understanding.faq import LINK_RE, MAX_ANSWER
from bot.core.understanding.yamlfile import read_yaml

KEYS = ("command", "reply", "menu", "link", "unanswered", "phrases")


@dataclass(frozen=True)
class Intent:
    name: str
    phrases: tuple[str, ...]
    command: str | None = None
    reply: str | None = None
    menu: bool = False
    link: str | None = None
    unanswered: bool = False
    line: int = 1
    #: the line of each phrase, for duplicate-phrasing errors
    phrase_lines: tuple[int, ...] = ()


def parse_intents(path: Path) -> tuple[dict[str, Intent], list[ContentError]]:
    try:
        doc = read_yaml(path)
    except ContentErrors as exc:
        return {}, exc.errors
    if not isinstance(doc.data, dict):
        return {}, [doc.error("intents.yaml maps an intent's name to its command or reply")]
    intents: dict[str, Intent] = {}
    errors: list[ContentError] = []
    for raw_name, spec in doc.data.items():
        name = str(raw_name)
        try:
            check_slug(name)
        except ValueError as exc:
            errors.append(doc.error(f"intent '{name}': {exc}", name))
            continue
        if not isinstance(spec, dict):
            errors.append(doc.error(f"intent '{name}' must be a mapping", name))
            continue
        bad = [k for k in spec if k not in KEYS]
        for key in bad:
            errors.append(doc.error(f"intent '{name}': unknown key '{key}'", name, str(key)))
        command, reply = spec.get("command"), spec.get("reply")
        if (command is None) == (reply is None):
            errors.append(doc.error(f"intent '{name}' needs either 'command' or 'reply'", name))
            continue
        if reply is not None and (not isinstance(reply, str) or len(reply.strip()) > MAX_ANSWER):
            errors.append(
                doc.error(
                    f"intent '{name}': reply must be text of ≤ {MAX_ANSWER} characters",
                    name,
                    "reply",
                )
            )
            continue
        link = spec.get("link")
        if link is not None and not (isinstance(link, str) and LINK_RE.match(link)):
            errors.append(
                doc.error(f"intent '{name}': link must be page:<id> or flow:<name>", name, "link")
            )
            continue
        phrases = spec.get("phrases")
        if not isinstance(phrases, list) or not phrases:
            errors.append(doc.error(f"intent '{name}' needs a list of phrases", name))
            continue
        texts = [" ".join(str(p).split()) for p in phrases]
        if bad or any(not t for t in texts):
            if any(not t for t in texts):
                errors.append(doc.error(f"intent '{name}': a phrase is empty", name, "phrases"))
            continue
        intents[name] = Intent(
            name,
            tuple(texts),
            command=str(command) if command is not None else None,
            reply=reply.strip() if isinstance(reply, str) else None,
            menu=bool(spec.get("menu", False)),
            link=link,
            unanswered=bool(spec.get("unanswered", False)),
            line=doc.line_of(name),
            phrase_lines=tuple(doc.line_of(name, "phrases", i) for i in range(len(texts))),
        )
    return intents, errors
