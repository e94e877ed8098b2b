"""where a camera's feed is pulled from (surveillance points, drone ground stations)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.add_column(sa.Column("stream_url", sa.String(512), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("stream_url")
