"""cek fakta: unknown claims, sightings, followers, published verdicts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "claim_reports",
        sa.Column("id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("words", sa.String(length=600), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_reports")),
    )
    with op.batch_alter_table("claim_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_reports_status_last", ["status", "last_seen_at"], unique=False
        )

    op.create_table(
        "claim_sightings",
        sa.Column("id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=True),
        sa.Column("report_id", ID, nullable=True),
        sa.Column("province_id", ID, nullable=True),
        sa.Column("kabupaten_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["kabupaten_id"],
            ["regions.id"],
            name=op.f("fk_claim_sightings_kabupaten_id_regions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["province_id"],
            ["regions.id"],
            name=op.f("fk_claim_sightings_province_id_regions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["claim_reports.id"],
            name=op.f("fk_claim_sightings_report_id_claim_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_sightings")),
    )
    with op.batch_alter_table("claim_sightings", schema=None) as batch_op:
        batch_op.create_index("ix_claim_sightings_day_claim", ["day", "claim_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_claim_sightings_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "claim_followers",
        sa.Column("id", ID, nullable=False),
        sa.Column("report_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["claim_reports.id"],
            name=op.f("fk_claim_followers_report_id_claim_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_claim_followers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_followers")),
        sa.UniqueConstraint(
            "report_id", "user_id", name=op.f("uq_claim_followers_report_id_user_id")
        ),
    )
    with op.batch_alter_table("claim_followers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_followers_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_claim_followers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "published_claims",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("report_id", ID, nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("checked", sa.Date(), nullable=False),
        sa.Column("published_by", sa.String(length=96), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["claim_reports.id"],
            name=op.f("fk_published_claims_report_id_claim_reports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_claims")),
    )
    with op.batch_alter_table("published_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_published_claims_published_at"), ["published_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("published_claims")
    op.drop_table("claim_followers")
    op.drop_table("claim_sightings")
    op.drop_table("claim_reports")
