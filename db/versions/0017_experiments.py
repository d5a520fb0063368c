"""broadcast experiments: variants, a holdout and each recipient's arm

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("segment", sa.String(length=500), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("holdout", sa.Float(), nullable=False),
        sa.Column("arms", sa.JSON(), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("min_effect", sa.Float(), nullable=False),
        sa.Column("link_url", sa.String(length=500), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    op.create_table(
        "experiment_assignments",
        sa.Column("experiment_id", BIGINT, nullable=False),
        sa.Column("user_id", BIGINT, nullable=False),
        sa.Column("arm", sa.String(length=16), nullable=False),
        sa.Column("broadcast_id", BIGINT, nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=True),
        sa.Column("link_tapped_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_experiment_assignments_broadcast_id_broadcasts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_assignments_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_experiment_assignments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "user_id", name=op.f("pk_experiment_assignments")),
        sa.UniqueConstraint("token", name=op.f("uq_experiment_assignments_token")),
    )
    with op.batch_alter_table("experiment_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_experiment_assignments_arm", ["experiment_id", "arm"])
        batch_op.create_index(
            "ix_experiment_assignments_tapped", ["experiment_id", "link_tapped_at"]
        )
        batch_op.create_index(
            batch_op.f("ix_experiment_assignments_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("experiment_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experiment_assignments_user_id"))
        batch_op.drop_index("ix_experiment_assignments_tapped")
        batch_op.drop_index("ix_experiment_assignments_arm")
    op.drop_table("experiment_assignments")
    op.drop_table("experiments")
