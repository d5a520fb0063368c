"""Poll results as plain data (JSON), CSV rows and text tables; suppressed figures are ``None``
(JSON ``null`` with ``"suppressed": true``, an empty CSV field, ``<10`` in tables)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from bot.core.polls.render import localized, option_labels
from bot.core.polls.results import NOT_GIVEN, PollResults
from bot.core.polls.suppress import Row, Table

CSV_HEADER = ("question", "kind", "dimension", "group", "option", "count", "answered", "suppressed")
DIMENSION_TITLES = {
    "province": "province",
    "kabupaten": "kabupaten/kota",
    "channel": "channel",
    "locale": "language",
    "age_band": "age band",
    "theme": "theme",
}


def _label(results: PollResults, dimension: str, key: str) -> str:
    if key == NOT_GIVEN:
        return "(not given)"
    if dimension in ("province", "kabupaten"):
        return results.names.get(key, key)
    return key


def groups(results: PollResults, qi: int) -> Iterator[tuple[str, str, Row]]:
    """(dimension, group label, row) for every published row of question ``qi``."""
    qr = results.questions[qi]
    yield "national", "Indonesia", qr.total
    for dim, table in qr.tables.items():
        for cell in table.cells:
            yield dim, _label(results, dim, cell.key), cell
        if dim == "province":
            for prov, sub in qr.kabupaten.items():
                for cell in sub.cells:
                    kab = _label(results, "kabupaten", cell.key)
                    yield "kabupaten", f"{_label(results, 'province', prov)} / {kab}", cell
    if qr.themes is not None:
        for cell in qr.themes.cells:
            yield "theme", cell.key or "(no theme yet)", cell


def _row_dict(row: Row, labels: list[str]) -> dict[str, Any]:
    return {
        "answered": row.n.shown,
        "suppressed": row.hidden,
        "options": [
            {"option": label, "count": c.shown, "suppressed": c.hidden}
            for label, c in zip(labels, row.counts, strict=True)
        ],
    }


def to_dict(
    results: PollResults, locale: str, default_locale: str, gettext: Callable[[str], str]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "poll": results.poll_id,
        "title": results.title,
        "respondents": results.respondents,
        "questions": [],
    }
    for qi, qr in enumerate(results.questions):
        q = qr.question
        labels = option_labels(q, locale, default_locale, gettext)
        item: dict[str, Any] = {
            "id": q.id,
            "kind": q.kind,
            "text": localized(q.text, locale, default_locale),
            "options": labels,
            "groups": [],
        }
        for dim, label, row in groups(results, qi):
            entry = {"dimension": dim, "group": label, **_row_dict(row, labels)}
            item["groups"].append(entry)
        out["questions"].append(item)
    return out


def csv_text(
    results: PollResults, locale: str, default_locale: str, gettext: Callable[[str], str]
) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for qi, qr in enumerate(results.questions):
        q = qr.question
        labels = option_labels(q, locale, default_locale, gettext)
        for dim, group, row in groups(results, qi):
            n = "" if row.n.shown is None else row.n.shown
            if not row.counts:
                writer.writerow((q.id, q.kind, dim, group, "", "", n, int(row.hidden)))
            for label, c in zip(labels, row.counts, strict=True):
                count = "" if c.shown is None else c.shown
                writer.writerow((q.id, q.kind, dim, group, label, count, n, int(c.hidden)))
    return buf.getvalue()


def _cell(value: int | None) -> str:
    return "<10" if value is None else str(value)


def table_text(
    results: PollResults, locale: str, default_locale: str, gettext: Callable[[str], str]
) -> str:
    lines = [f"{results.title} ({results.poll_id}): {results.respondents} respondents"]
    for qi, qr in enumerate(results.questions):
        q = qr.question
        labels = option_labels(q, locale, default_locale, gettext)
        lines += ["", f"Q{qi + 1} [{q.kind}] {localized(q.text, locale, default_locale)}"]
        header = ["group", "answered", *[lab[:18] for lab in labels]]
        rows = [header]
        for dim, group, row in groups(results, qi):
            name = f"{DIMENSION_TITLES.get(dim, dim)}: {group}" if dim != "national" else group
            rows.append([name[:40], _cell(row.n.shown), *[_cell(c.shown) for c in row.counts]])
        widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(header))]
        for r in rows:
            lines.append("  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip())
    return "\n".join(lines)


def table_of(results: PollResults, qi: int, dimension: str) -> Table:
    return results.questions[qi].tables[dimension]
