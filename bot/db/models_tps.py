"""Polling stations (TPS), each in one kelurahan/desa, with an optional position.

The spatial index is two integer grid cells per TPS (see :mod:`bot.tps.geo`), each with a plain
B-tree index, so nearest-TPS search works the same on SQLite and PostgreSQL without extensions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, BigIntPK, utcnow


class Tps(Base):
    __tablename__ = "tps"
    __table_args__ = (
        UniqueConstraint("region_id", "number"),
        # Covering indexes: a nearest-TPS query ranks candidates from the index alone.
        Index("ix_tps_cell_fine", "cell_fine", "latitude", "longitude"),
        Index("ix_tps_cell_coarse", "cell_coarse", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: The kelurahan/desa the TPS serves.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    #: The TPS number within its kelurahan (TPS 001 → 1).
    number: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(255))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: Grid cells of about 1.1 km and 11 km (``bot.tps.geo``); ``None`` without coordinates.
    cell_fine: Mapped[int | None] = mapped_column(Integer)
    cell_coarse: Mapped[int | None] = mapped_column(Integer)
    accessibility: Mapped[str | None] = mapped_column(String(255))
    voters: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
