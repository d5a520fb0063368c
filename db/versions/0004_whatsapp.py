"""whatsapp message statuses and option pages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_messages",
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("wa_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_whatsapp_messages")),
    )
    with op.batch_alter_table("whatsapp_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_whatsapp_messages_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_whatsapp_messages_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_whatsapp_messages_wa_id"), ["wa_id"], unique=False)

    op.create_table(
        "whatsapp_option_pages",
        sa.Column("wa_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("wa_id", name=op.f("pk_whatsapp_option_pages")),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_option_pages")
    with op.batch_alter_table("whatsapp_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_whatsapp_messages_wa_id"))
        batch_op.drop_index(batch_op.f("ix_whatsapp_messages_status"))
        batch_op.drop_index(batch_op.f("ix_whatsapp_messages_created_at"))

    op.drop_table("whatsapp_messages")
