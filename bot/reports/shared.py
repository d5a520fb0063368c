"""The ``/lapor`` reports users agreed to share with the team: read, listed, exported, audited.

A report is deliberately not linked to any user (no user id, a random id), so the team cannot
contact the reporter and ``/hapus`` cannot find it; the consent prompt says so. Its full text and
photo are kept :data:`RETENTION_DAYS` days after the day it was made, then housekeeping strips
them and only the anonymous record (category, kabupaten/kota, day) stays, like a report made
without consent. Anonymous records are only ever counted, never listed.

Every read of a shared report (dashboard list or page, photo, ``votebot reports``) writes one row
to the audit log (``bot.core.roles.audit``): who read what, never the text itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.regions import region_paths
from bot.core.roles import audit
from bot.db.models import Region
from bot.db.models_pledge import Report

#: How long a shared report's text and photo are kept, counted from the day it was made.
RETENTION_DAYS = 180
#: The detail fields the ``/lapor`` flow asks for, in its order.
FIELDS = ("what", "when", "where", "who", "evidence")


@dataclass(frozen=True)
class SharedReport:
    id: int
    category: str
    reported_on: date
    region: str
    details: dict[str, str]
    has_photo: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "reported_on": self.reported_on.isoformat(),
            "region": self.region,
            **{f: self.details.get(f, "") for f in FIELDS},
            "photo": self.has_photo,
        }


def _shared() -> Any:
    return Report.consent.is_(True) & Report.details.is_not(None)


async def _rows(session: AsyncSession, reports: list[Report]) -> list[SharedReport]:
    ids = {r.kabupaten_id for r in reports if r.kabupaten_id is not None}
    regions = (
        (await session.scalars(select(Region).where(Region.id.in_(sorted(ids))))).all()
        if ids
        else []
    )
    paths = await region_paths(session, regions)
    out = []
    for r in reports:
        path = paths.get(r.kabupaten_id) if r.kabupaten_id is not None else None
        details = {f: str((r.details or {}).get(f) or "") for f in FIELDS}
        out.append(
            SharedReport(
                id=r.id,
                category=r.category,
                reported_on=r.reported_on,
                region=path.label() if path is not None else "",
                details=details,
                has_photo=r.photo is not None,
            )
        )
    return out


async def counts(session: AsyncSession) -> tuple[int, int]:
    """(shared reports readable now, anonymous-only records); the latter are only counted."""
    shared = await session.scalar(select(func.count()).select_from(Report).where(_shared()))
    total = await session.scalar(select(func.count()).select_from(Report))
    return int(shared or 0), int(total or 0) - int(shared or 0)


async def list_shared(
    session: AsyncSession, actor: str, *, limit: int = 100, since: date | None = None
) -> list[SharedReport]:
    """The newest shared reports (audited as one ``reports.list`` row)."""
    stmt = select(Report).where(_shared())
    if since is not None:
        stmt = stmt.where(Report.reported_on >= since)
    stmt = stmt.order_by(Report.reported_on.desc(), Report.id).limit(limit)
    reports = list((await session.scalars(stmt)).all())
    await audit(session, actor, "reports.list", f"{len(reports)} reports")
    return await _rows(session, reports)


async def get_shared(session: AsyncSession, actor: str, report_id: int) -> SharedReport | None:
    """One shared report (audited as ``reports.show``), or None (also for anonymous records)."""
    report = await session.scalar(select(Report).where(Report.id == report_id, _shared()))
    if report is None:
        return None
    await audit(session, actor, "reports.show", f"report:{report_id}")
    return (await _rows(session, [report]))[0]


async def get_photo(session: AsyncSession, actor: str, report_id: int) -> bytes | None:
    """A shared report's photo (JPEG, no metadata); audited as ``reports.photo``."""
    photo = await session.scalar(select(Report.photo).where(Report.id == report_id, _shared()))
    if photo is None:
        return None
    await audit(session, actor, "reports.photo", f"report:{report_id}")
    return bytes(photo)


async def export_shared(session: AsyncSession, actor: str) -> list[SharedReport]:
    """Every shared report, oldest first (audited as ``reports.export``)."""
    stmt = select(Report).where(_shared()).order_by(Report.reported_on, Report.id)
    reports = list((await session.scalars(stmt)).all())
    await audit(session, actor, "reports.export", f"{len(reports)} reports")
    return await _rows(session, reports)


async def expire_shared(session: AsyncSession, today: date) -> int:
    """Strip text and photo from shared reports older than :data:`RETENTION_DAYS`; the anonymous
    record (category, kabupaten/kota, day) stays so the counts do not change. Returns how many."""
    cutoff = today - timedelta(days=RETENTION_DAYS)
    result = await session.execute(
        update(Report)
        .where(_shared(), Report.reported_on < cutoff)
        .values(details=null(), photo=None)  # SQL NULL, not JSON null
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
