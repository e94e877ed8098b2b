"""inbound warnings (CAP from the meteorological and earthquake services)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.store.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_warnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("identifier", sa.String(255), nullable=False),
        sa.Column("cap_sender", sa.String(255), nullable=False),
        sa.Column("cap_sent", UTCDateTime(), nullable=False),
        sa.Column("msg_type", sa.String(16), nullable=False),
        sa.Column("expires", UTCDateTime(), nullable=True),
        sa.Column("received", UTCDateTime(), nullable=False),
        sa.Column("device", sa.String(128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_external_warnings_msg_id", "external_warnings", ["msg_id"])
    op.create_index("ix_external_warnings_key", "external_warnings", ["key"])


def downgrade() -> None:
    op.drop_table("external_warnings")
