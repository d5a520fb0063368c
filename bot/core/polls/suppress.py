"""Statistical disclosure control for poll results.

Results are one-way tables per dimension (province, channel, locale, age band) plus kabupaten/kota
within each province. Each table has a total row (national, or the province) and cells; each row
has ``n`` (who answered the question) and one count per option.

Primary suppression: a cell with fewer than :data:`MIN_CELL` respondents is hidden whole, and any
option count from 1 to 9 is hidden. Complementary suppression: every published sum (a row's
options adding up to its ``n`` for single-choice and scale questions; a column of cells adding up
to the table's total, for ``n`` and for each option) must have either no hidden entry or at least
two, so no hidden entry is the difference of published ones. When exactly one is hidden, the
smallest other entry of that sum is hidden too (a cell before the total), and this repeats until
nothing changes, across tables that share entries (a province row is the total of its
kabupaten/kota table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MIN_CELL = 10
MIN_COUNT = 10


@dataclass(eq=False)
class Entry:
    """One published number and whether it is hidden."""

    value: int
    hidden: bool = False

    @property
    def shown(self) -> int | None:
        return None if self.hidden else self.value


@dataclass(eq=False)
class Row:
    """A total or a cell: who answered (``n``) and one count per option."""

    key: str
    n: Entry
    counts: list[Entry] = field(default_factory=list)

    def hide(self) -> None:
        self.n.hidden = True
        for c in self.counts:
            c.hidden = True

    @property
    def hidden(self) -> bool:
        return self.n.hidden


@dataclass(eq=False)
class Table:
    total: Row
    cells: list[Row]
    #: Whether each row's option counts add up to its ``n`` (not multiple choice).
    additive: bool = True


def make_row(key: str, n: int, counts: Sequence[int]) -> Row:
    return Row(key, Entry(n), [Entry(c) for c in counts])


def _primary(row: Row, min_cell: int) -> None:
    if row.n.value < min_cell:
        row.hide()
    for c in row.counts:
        if 0 < c.value < MIN_COUNT:
            c.hidden = True


def _pick(candidates: Iterable[Entry]) -> Entry | None:
    visible = [e for e in candidates if not e.hidden]
    if not visible:
        return None
    nonzero = [e for e in visible if e.value > 0]
    return min(nonzero or visible, key=lambda e: e.value)


def _sums(table: Table) -> list[tuple[Entry, list[Entry], list[Row]]]:
    """Every published sum of a table: (its total entry, its parts, the rows of the parts)."""
    sums: list[tuple[Entry, list[Entry], list[Row]]] = []
    rows = [table.total, *table.cells]
    if table.additive:
        for row in rows:
            sums.append((row.n, list(row.counts), []))
    sums.append((table.total.n, [c.n for c in table.cells], table.cells))
    for j in range(len(table.total.counts)):
        sums.append((table.total.counts[j], [c.counts[j] for c in table.cells], []))
    return sums


def _balance(total: Entry, parts: list[Entry], rows: list[Row]) -> bool:
    """Make the sum's hidden entries 0 or at least 2; True if anything was hidden."""
    hidden = [e for e in [total, *parts] if e.hidden]
    if len(hidden) != 1:
        return False
    pick = _pick(parts) or (None if total.hidden else total)
    if pick is None:
        return False
    pick.hidden = True
    for row in rows:  # a region whose n is hidden is hidden whole
        if row.n is pick:
            row.hide()
    return True


def suppress(tables: Sequence[Table], min_cell: int = MIN_CELL) -> None:
    """Apply primary and complementary suppression to ``tables`` in place (they may share rows,
    e.g. a province row that is also the total of its kabupaten/kota table)."""
    seen: set[int] = set()
    for table in tables:
        for row in (table.total, *table.cells):
            if id(row) not in seen:
                seen.add(id(row))
                _primary(row, min_cell)
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table.total.hidden:
                for cell in table.cells:
                    if not cell.hidden:
                        cell.hide()
                        changed = True
                continue
            for total, parts, rows in _sums(table):
                if _balance(total, parts, rows):
                    changed = True
            for row in (table.total, *table.cells):
                if row.n.hidden and not all(c.hidden for c in row.counts):
                    row.hide()
                    changed = True
