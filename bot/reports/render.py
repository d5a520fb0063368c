"""Turn a report (see :mod:`bot.reports.data`) into tables, text and CSV.

A section is a dict of scalars, small dicts (``active``) and lists of rows. The same flattening
feeds the terminal tables, the dashboard's HTML tables and the CSV files, so all of them agree.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from bot.reports.data import SUPPRESSED

TITLES = {
    "users": "Users",
    "quizzes": "Quizzes",
    "pledges": "Pledges",
    "tps": "Polling-station (TPS) lookups",
    "reports": "Money-politics reports",
    "broadcasts": "Broadcasts",
    "referrals": "Referral codes",
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    rows: list[list[str]]


def cell(value: Any, suppressed: bool = False) -> str:
    if value is None:
        return SUPPRESSED if suppressed else "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def tables(section: dict[str, Any]) -> list[Table]:
    """A section as tables: one of its scalars (``summary``), then one per list or dict."""
    summary: list[list[str]] = []
    out: list[Table] = []
    for key, value in section.items():
        if isinstance(value, dict):
            out.append(Table(key, ["metric", "value"], [[k, cell(v)] for k, v in value.items()]))
        elif isinstance(value, list):
            columns: list[str] = []
            for row in value:
                columns += [c for c in row if c != "suppressed" and c not in columns]
            rows = [
                [cell(row.get(c), bool(row.get("suppressed"))) for c in columns] for row in value
            ]
            out.append(Table(key, columns, rows))
        else:
            summary.append([key, cell(value)])
    return [Table("summary", ["metric", "value"], summary), *out] if summary else out


def is_number(value: str) -> bool:
    return value.replace(".", "", 1).removeprefix("-").isdigit()


def text_table(table: Table) -> str:
    if not table.rows:
        return f"{table.name}: (none)"
    widths = [max(len(c), *(len(r[i]) for r in table.rows)) for i, c in enumerate(table.columns)]

    def numeric(i: int) -> bool:
        return all(
            r[i].replace(".", "", 1).replace("-", "", 1).isdigit() or r[i] in ("–", SUPPRESSED)
            for r in table.rows
        )

    right = [numeric(i) for i in range(len(widths))]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ).rstrip()

    parts = [table.name, line(table.columns), line(["-" * w for w in widths])]
    parts += [line(r) for r in table.rows]
    return "\n".join(parts)


def text_report(report: dict[str, Any], meta: dict[str, Any]) -> str:
    since = meta["since"] or "the beginning"
    out = [f"Engagement report: {since} to {meta['until']} (Asia/Jakarta days, both included)"]
    out.append(f"Regional cells under {meta['min_cell']} users show as {SUPPRESSED}.")
    for name, section in report.items():
        title = TITLES.get(name, name)
        out.append("")
        out.append(f"== {title} ==")
        out.extend(f"\n{text_table(t)}" for t in tables(section))
    return "\n".join(out) + "\n"


#: The CSV columns: a long format so every section fits one file.
CSV_COLUMNS = ["table", "key", "metric", "value"]


def csv_rows(section: dict[str, Any]) -> list[list[str]]:
    """One row per figure: ``table, key, metric, value`` (key joins a row's label columns)."""
    out: list[list[str]] = []
    for t in tables(section):
        if t.columns == ["metric", "value"]:
            out += [[t.name, "", m, v] for m, v in t.rows]
            continue
        source = section[t.name]
        labels = [c for c in t.columns if all(isinstance(r.get(c), str) for r in source)]
        for row, values in zip(source, t.rows, strict=True):
            key = " / ".join(str(row[c]) for c in labels)
            for c, v in zip(t.columns, values, strict=True):
                if c not in labels:
                    out.append([t.name, key, c, v])
    return out


def section_csv(section: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(section))
    return buf.getvalue()
