"""privacy: hashed names, numbers and dates the guard keeps out of residents' text

Revision ID: 0010_privacy
Revises: 0006_hardening
Create Date: 2026-12-01 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_privacy"
down_revision = "0006_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_privacy_terms_digest", "privacy_terms", ["digest"], unique=False)
    op.create_index(op.f("ix_privacy_terms_dataset"), "privacy_terms", ["dataset"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_terms_dataset"), table_name="privacy_terms")
    op.drop_index("ix_privacy_terms_digest", table_name="privacy_terms")
    op.drop_table("privacy_terms")
