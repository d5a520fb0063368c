"""Approved WhatsApp message templates, configured as content.

Outside the 24-hour customer-service window WhatsApp only delivers *templates* that Meta approved
beforehand. Each one is a file ``content/<locale>/whatsapp/templates/<id>.md``:

.. code-block:: markdown

    ---
    id: update                       # our name for it (the file name); broadcasts refer to it
    name: teman_pemilih_update       # the template's name in WhatsApp Manager
    language: id                     # the template language code approved for this locale
    category: utility                # utility, marketing or authentication
    parameters: [message]            # the body's variables, in order ({{1}}, {{2}}, ...)
    ---
    Halo! Ada kabar dari Teman Pemilih: {{1}}

The body is the approved text, kept for review and previews; it must use exactly the declared
variables (``{{1}}``… for ``parameter_format: positional``, ``{{name}}`` for ``named``); a fact
from the ledger (``{{fact:ID}}``) is filled in when the file loads. A locale
without its own file falls back to the default locale's template.

This module only parses and builds payloads: it imports nothing from aiohttp.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from bot.core.content import (
    ContentError,
    ContentErrors,
    ContentKind,
    Document,
    Source,
    Strict,
    check_slug,
    register_kind,
)

KIND = "whatsapp_templates"
_NAME_RE = re.compile(r"^[a-z0-9_]{1,512}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2,3})?$")
_PARAM_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
#: WhatsApp rejects template text parameters with new lines, tabs or more than 4 spaces in a row.
_WHITESPACE_RE = re.compile(r"\s+")
MAX_PARAMETER_CHARS = 1024


class TemplateMeta(Strict):
    id: str
    name: str
    language: str
    category: Literal["utility", "marketing", "authentication"] = "utility"
    parameter_format: Literal["positional", "named"] = "positional"
    parameters: list[str] = Field(default_factory=list, max_length=20)
    #: Where the text's facts come from; a ``{{fact:ID}}`` in the body adds that fact's sources.
    sources: list[Source] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_slug(v)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.match(v):
            raise ValueError(
                "must be the template name from WhatsApp Manager: lower-case letters, digits "
                "and underscores"
            )
        return v

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        if not _LANGUAGE_RE.match(v):
            raise ValueError("must be a WhatsApp language code such as id, en or en_US")
        return v

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, v: list[str]) -> list[str]:
        for name in v:
            if not _PARAM_RE.match(name):
                raise ValueError(
                    f"parameter {name!r} must be lower-case letters, digits and underscores"
                )
        dupes = sorted({n for n in v if v.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate parameter(s): {', '.join(dupes)}")
        return v


@dataclass(frozen=True)
class Template:
    meta: TemplateMeta
    body: str
    locale: str
    path: Path

    @property
    def id(self) -> str:
        return self.meta.id

    def payload(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The ``template`` object of a Graph API message; ``ValueError`` on missing parameters."""
        missing = [p for p in self.meta.parameters if not str(params.get(p, "")).strip()]
        unknown = sorted(set(params) - set(self.meta.parameters))
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"missing {', '.join(missing)}")
            if unknown:
                problems.append(f"unknown {', '.join(unknown)}")
            raise ValueError(f"template {self.id!r}: parameters {'; '.join(problems)}")
        template: dict[str, Any] = {
            "name": self.meta.name,
            "language": {"policy": "deterministic", "code": self.meta.language},
        }
        if self.meta.parameters:
            values = []
            for name in self.meta.parameters:
                text = _WHITESPACE_RE.sub(" ", str(params[name])).strip()[:MAX_PARAMETER_CHARS]
                value: dict[str, Any] = {"type": "text", "text": text}
                if self.meta.parameter_format == "named":
                    value["parameter_name"] = name
                values.append(value)
            template["components"] = [{"type": "body", "parameters": values}]
        return template


def _parse(doc: Document) -> Template:
    meta = doc.validate(TemplateMeta)
    errors: list[ContentError] = []
    if meta.id != doc.path.stem:
        errors.append(doc.error(f"id '{meta.id}' must match the file name", doc.line_of(["id"])))
    if not doc.body.strip():
        errors.append(doc.error("the approved template text is missing below the front matter"))
    found = [m.group(1) for m in _PLACEHOLDER_RE.finditer(doc.body)]
    if meta.parameter_format == "positional":
        expected = [str(i) for i in range(1, len(meta.parameters) + 1)]
    else:
        expected = list(meta.parameters)
    if doc.body.strip() and sorted(set(found)) != sorted(expected):
        shown = ", ".join("{{" + e + "}}" for e in expected) or "none"
        used = ", ".join("{{" + f + "}}" for f in dict.fromkeys(found)) or "none"
        errors.append(
            doc.error(
                f"the text uses {used} but the parameters declare {shown}",
                doc.line_of(["parameters"]) if "parameters" in doc.meta else doc.body_line,
            )
        )
    if errors:
        raise ContentErrors(errors)
    return Template(meta, doc.body, doc.locale, doc.path)


def _cross_check(by_locale: dict[str, dict[str, Template]], default: str) -> list[ContentError]:
    """Every locale's version of a template takes the same parameters as the default locale's."""
    errors = []
    base = by_locale.get(default, {})
    for locale, items in by_locale.items():
        for template_id, tpl in items.items():
            ref = base.get(template_id)
            if ref is None or locale == default:
                continue
            if tpl.meta.parameters != ref.meta.parameters:
                errors.append(
                    ContentError(
                        tpl.path,
                        1,
                        f"parameters {tpl.meta.parameters} differ from {ref.path.name} in "
                        f"'{default}' ({ref.meta.parameters}); broadcasts pass the same ones",
                    )
                )
    return errors


register_kind(ContentKind(KIND, "whatsapp/templates/*.md", _parse, lambda t: t.id, _cross_check))
