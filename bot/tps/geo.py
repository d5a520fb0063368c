"""Great-circle distance and the integer grid cells used as a portable spatial index.

A TPS with coordinates stores two cell numbers: ``cell_fine`` on a 0.01° grid (about 1.1 km) and
``cell_coarse`` on a 0.1° grid (about 11 km). A cell number is ``row * WIDTH + column`` so that a
run of neighbouring cells in one grid row is one contiguous integer range: a square of
``(2k+1)²`` cells around a point is ``2k+1`` range conditions on one B-tree index, on SQLite and
PostgreSQL alike. Candidates found there are ranked by true (haversine) distance, and a result
counts only if it lies within the radius the square is guaranteed to cover; otherwise the square
grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
#: Metres per degree of latitude (and of longitude at the equator), rounded down.
M_PER_DEGREE = 111_000.0


@dataclass(frozen=True)
class Grid:
    size: float  # degrees

    @property
    def rows(self) -> int:
        return round(180 / self.size) + 1

    @property
    def width(self) -> int:
        return round(360 / self.size) + 1

    def row(self, lat: float) -> int:
        return math.floor((lat + 90.0) / self.size)

    def col(self, lon: float) -> int:
        return math.floor((lon + 180.0) / self.size)

    def cell(self, lat: float, lon: float) -> int:
        return self.row(lat) * self.width + self.col(lon)

    def ranges(self, lat: float, lon: float, k: int) -> list[tuple[int, int]]:
        """The square of ``(2k+1)²`` cells around the point, as one integer range per row."""
        r, c = self.row(lat), self.col(lon)
        lo_c, hi_c = max(c - k, 0), min(c + k, self.width - 1)
        return [
            (row * self.width + lo_c, row * self.width + hi_c)
            for row in range(max(r - k, 0), min(r + k, self.rows - 1) + 1)
        ]

    def covered_radius_m(self, lat: float, k: int) -> float:
        """A distance every point of which is inside the ``k`` square around ``lat``.

        The point lies somewhere in its own cell, so ``k`` whole cells surround it on every side;
        longitude degrees shrink with ``cos(lat)`` (taken at the square's edge, the worst case).
        """
        if k <= 0:
            return 0.0
        edge = min(abs(lat) + (k + 1) * self.size, 89.0)
        return k * self.size * M_PER_DEGREE * math.cos(math.radians(edge))


FINE = Grid(0.01)
COARSE = Grid(0.1)


def cells(lat: float | None, lon: float | None) -> tuple[int | None, int | None]:
    """``(cell_fine, cell_coarse)`` for a position, or ``(None, None)`` without one."""
    if lat is None or lon is None:
        return None, None
    return FINE.cell(lat, lon), COARSE.cell(lat, lon)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
