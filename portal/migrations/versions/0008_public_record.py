"""public record: the name the public ledger gives each records-office user

Revision ID: 0008_public_record
Revises: 0005_accountability

`users.public_name`: what public pages and new ledger entries say for a user's actions; empty
means the user's role ("Records officer", "Administrator"). An admin decides it per user.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_public_record"
down_revision = "0005_accountability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("public_name", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("public_name")
