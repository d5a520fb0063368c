"""polling stations (TPS) with grid-cell spatial indexes; index regions.parent_id

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 08:18:34.801159
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tps",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "region_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("cell_fine", sa.Integer(), nullable=True),
        sa.Column("cell_coarse", sa.Integer(), nullable=True),
        sa.Column("accessibility", sa.String(length=255), nullable=True),
        sa.Column("voters", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_tps_region_id_regions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tps")),
        sa.UniqueConstraint("region_id", "number", name=op.f("uq_tps_region_id_number")),
    )
    with op.batch_alter_table("tps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tps_cell_coarse", ["cell_coarse", "latitude", "longitude"], unique=False
        )
        batch_op.create_index(
            "ix_tps_cell_fine", ["cell_fine", "latitude", "longitude"], unique=False
        )

    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_parent_id"))

    with op.batch_alter_table("tps", schema=None) as batch_op:
        batch_op.drop_index("ix_tps_cell_fine")
        batch_op.drop_index("ix_tps_cell_coarse")

    op.drop_table("tps")
