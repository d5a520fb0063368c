"""outbound: broadcast consent and expiry, notifications outbox, fleet leases

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent", sa.String(length=32), server_default="broadcasts", nullable=False)
        )
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("expires_local", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Voting-day reminders made before this revision were sent on the reminder consent.
    op.execute("UPDATE broadcasts SET consent = 'voting_day' WHERE content_id LIKE 'reminder-%'")

    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("replies", sa.JSON(), nullable=False),
        sa.Column("consent", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_claim", ["channel", "status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "fleet_leases",
        sa.Column("name", sa.String(length=96), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_fleet_leases")),
    )
    with op.batch_alter_table("fleet_leases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_leases_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fleet_leases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_leases_expires_at"))
    op.drop_table("fleet_leases")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_claim")
    op.drop_table("notifications")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_column("expires_local")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("consent")
