"""unanswered questions queue, its watchers, and the conversation's last prompt

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("conversation_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompt", sa.JSON(), nullable=True))

    op.create_table(
        "unanswered_questions",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("kabupaten_id", BIGINT, nullable=True),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("answer_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["kabupaten_id"],
            ["regions.id"],
            name=op.f("fk_unanswered_questions_kabupaten_id_regions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
    )
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unanswered_questions_asked_on"), ["asked_on"], unique=False
        )

    op.create_table(
        "question_watchers",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("question_id", BIGINT, nullable=False),
        sa.Column("user_id", BIGINT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["unanswered_questions.id"],
            name=op.f("fk_question_watchers_question_id_unanswered_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_question_watchers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_watchers")),
    )
    with op.batch_alter_table("question_watchers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_watchers_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_question_watchers_question_user", ["question_id", "user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_question_watchers_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("question_watchers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_watchers_user_id"))
        batch_op.drop_index("ix_question_watchers_question_user")
        batch_op.drop_index(batch_op.f("ix_question_watchers_created_at"))
    op.drop_table("question_watchers")
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unanswered_questions_asked_on"))
    op.drop_table("unanswered_questions")
    with op.batch_alter_table("conversation_state", schema=None) as batch_op:
        batch_op.drop_column("prompt")
