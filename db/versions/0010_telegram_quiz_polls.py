"""telegram quiz polls

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_polls",
        sa.Column("poll_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("payloads", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("poll_id", name=op.f("pk_telegram_polls")),
    )
    with op.batch_alter_table("telegram_polls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telegram_polls_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("telegram_polls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telegram_polls_created_at"))

    op.drop_table("telegram_polls")
