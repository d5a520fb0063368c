"""regions and the user's saved area and display name

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "province_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "kabupaten_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "kecamatan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("postcode", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=4), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["regions.id"],
            name=op.f("fk_regions_parent_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
        sa.UniqueConstraint("level", "source_id", name=op.f("uq_regions_level_source_id")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_kabupaten_id"), ["kabupaten_id"], unique=False)
        batch_op.create_index("ix_regions_level_name_key", ["level", "name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_regions_postcode"), ["postcode"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "region_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("display_name", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_region_id"), ["region_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_users_region_id_regions"),
            "regions",
            ["region_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_region_id_regions"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_region_id"))
        batch_op.drop_column("display_name")
        batch_op.drop_column("region_id")

    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_postcode"))
        batch_op.drop_index("ix_regions_level_name_key")
        batch_op.drop_index(batch_op.f("ix_regions_kabupaten_id"))

    op.drop_table("regions")
