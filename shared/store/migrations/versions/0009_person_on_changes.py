"""the person signed in at the device, beside the device, on every change and order answer

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("incident_changes", "order_events"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("person", sa.String(128), nullable=False, server_default="")
            )


def downgrade() -> None:
    for table in ("incident_changes", "order_events"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("person")
