"""language: surveys and their statements in several languages; the language of an answer
and of a subscriber's e-mails

Revision ID: 0011_language
Revises: 0012_policies
Create Date: 2026-12-01 18:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_language"
down_revision = "0012_policies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # {lang: {"title": …, "introduction": …}} and {lang: {"text": …}}; English stays in place
    op.add_column("surveys", sa.Column("translations", sa.JSON(), nullable=True))
    op.add_column("survey_questions", sa.Column("translations", sa.JSON(), nullable=True))
    # every answer given before languages existed was given in English
    op.add_column(
        "survey_responses",
        sa.Column("language", sa.String(length=8), nullable=False, server_default="en"),
    )
    # the language a subscriber's e-mails are written in
    op.add_column(
        "subscribers",
        sa.Column("language", sa.String(length=8), nullable=False, server_default="en"),
    )


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("survey_questions") as batch:
        batch.drop_column("translations")
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("translations")
