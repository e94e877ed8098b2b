"""incident type, facts, grading, override; incident transitions; order escalation

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.store.types import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = ("dead", "missing", "seriously_injured", "trapped", "evacuated")


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("type_code", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("occurred", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("known_at", UTCDateTime(), nullable=True))
        for name in _COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("direct_loss_cny", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("computed_level", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("level_criteria", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("override_level", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("override_reason", sa.String(512), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("override_by", sa.String(128), nullable=False, server_default="")
        )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("issued_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("fallback", sa.String(128), nullable=True))
        batch.add_column(sa.Column("resends", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "incident_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(128), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("note", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_transitions_incident_id", "incident_transitions", ["incident_id"])


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        for name in ("resends", "fallback", "issued_at"):
            batch.drop_column(name)
    op.drop_index("ix_incident_transitions_incident_id", "incident_transitions")
    op.drop_table("incident_transitions")
    with op.batch_alter_table("incidents") as batch:
        for name in ("override_by", "override_reason", "override_level", "level_criteria",
                     "computed_level", "direct_loss_cny", *_COUNTS, "known_at", "occurred", "type_code"):
            batch.drop_column(name)
