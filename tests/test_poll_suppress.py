"""Suppression of poll results on hand-built tables: primary (regions under 10, counts 1-9) and
complementary (no hidden figure is the difference of published ones)."""

from __future__ import annotations

import random

from bot.core.polls.suppress import Entry, Row, Table, make_row, suppress


def shown(row: Row) -> tuple[int | None, list[int | None]]:
    return row.n.shown, [c.shown for c in row.counts]


def sums(table: Table) -> list[tuple[Entry, list[Entry]]]:
    out = []
    rows = [table.total, *table.cells]
    if table.additive:
        out += [(r.n, r.counts) for r in rows]
    out.append((table.total.n, [c.n for c in table.cells]))
    for j in range(len(table.total.counts)):
        out.append((table.total.counts[j], [c.counts[j] for c in table.cells]))
    return out


def assert_safe(tables: list[Table]) -> None:
    for table in tables:
        for row in (table.total, *table.cells):
            if row.n.shown is not None:
                assert row.n.shown >= 10
            for c in row.counts:
                assert c.shown is None or c.shown == 0 or c.shown >= 10
            if row.n.hidden:
                assert all(c.hidden for c in row.counts)
        for total, parts in sums(table):
            hidden = [e for e in [total, *parts] if e.hidden]
            assert len(hidden) != 1, "a hidden figure could be derived from a published sum"


def test_hand_built_provinces() -> None:
    a = make_row("A", 50, [30, 15, 5])
    b = make_row("B", 40, [20, 20, 0])
    c = make_row("C", 8, [4, 4, 0])
    national = make_row("national", 98, [54, 39, 5])
    table = Table(national, [a, b, c])
    suppress([table])
    # C has fewer than 10 respondents: hidden whole; as the national total is published, the
    # next smallest region (B) is hidden too, or C = 98 - 50 - 40.
    assert shown(c) == (None, [None, None, None])
    assert shown(b) == (None, [None, None, None])
    # A's 5 is hidden (1-9), and so is its 15 (or 5 = 50 - 30 - 15).
    assert shown(a) == (50, [30, None, None])
    # Nationally, 5 is hidden and 39 with it.
    assert shown(national) == (98, [54, None, None])
    assert_safe([table])


def test_hand_built_kabupaten_within_province() -> None:
    k1 = make_row("K1", 45, [30, 15])
    k2 = make_row("K2", 15, [10, 5])
    province = make_row("P", 60, [40, 20])
    other = make_row("Q", 70, [35, 35])
    national = make_row("national", 130, [75, 55])
    provinces = Table(national, [province, other])
    kabupaten = Table(province, [k1, k2])
    suppress([provinces, kabupaten])
    assert shown(k2) == (15, [None, None])
    # K2's 10 is hidden by its row; then the province's first column has one hidden part, so
    # K1's 30 goes, and with it K1's 15.
    assert shown(k1) == (45, [None, None])
    assert shown(province) == (60, [40, 20])
    assert shown(national) == (130, [75, 55])
    assert_safe([provinces, kabupaten])


def test_a_lone_region_under_a_published_total_hides_the_total() -> None:
    only = make_row("K", 9, [9])
    province = make_row("P", 9, [9])
    table = Table(province, [only])
    suppress([table])
    assert shown(province) == (None, [None])
    assert shown(only) == (None, [None])


def test_multiple_choice_rows_are_not_sums_but_columns_are() -> None:
    a = make_row("A", 40, [30, 25])
    b = make_row("B", 30, [12, 3])
    national = make_row("national", 70, [42, 28])
    table = Table(national, [a, b], additive=False)
    suppress([table])
    assert shown(b) == (30, [12, None])
    assert shown(a) == (40, [30, None])  # or B's 3 = 28 - 25
    assert shown(national) == (70, [42, 28])
    assert_safe([table])


def test_random_tables_never_leak() -> None:
    rng = random.Random(7)
    for _ in range(300):
        options = rng.randint(2, 5)
        additive = rng.random() < 0.7
        provinces, kab_tables, prov_rows = [], [], []
        for p in range(rng.randint(1, 6)):
            kabs = []
            for k in range(rng.randint(1, 4)):
                n = rng.choice([0, 1, 3, 8, 9, 10, 12, 25, 60, 200])
                if additive:
                    cuts = sorted(rng.randint(0, n) for _ in range(options - 1))
                    counts = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
                else:
                    counts = [rng.randint(0, n) for _ in range(options)]
                if n:
                    kabs.append(make_row(f"{p}-{k}", n, counts))
            if not kabs:
                continue
            prov = make_row(
                str(p),
                sum(k.n.value for k in kabs),
                [sum(k.counts[j].value for k in kabs) for j in range(options)],
            )
            prov_rows.append(prov)
            kab_tables.append(Table(prov, kabs, additive))
        if not prov_rows:
            continue
        national = make_row(
            "national",
            sum(p.n.value for p in prov_rows),
            [sum(p.counts[j].value for p in prov_rows) for j in range(options)],
        )
        provinces = [Table(national, prov_rows, additive)]
        tables = provinces + kab_tables
        suppress(tables)
        assert_safe(tables)
