"""report versions and attachments, incident areas, resources, readings, responses and
checklists, the duty roster, log and handovers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.store.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _pk_int() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="field"))
        batch.add_column(sa.Column("author", sa.String(512), nullable=False, server_default=""))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("area", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("draft_of", sa.String(160), nullable=False, server_default=""))
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.Column("uploaded_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "report_attachments",
        _pk_int(),
        sa.Column("report_msg_id", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_report_attachments_report_msg_id", "report_attachments", ["report_msg_id"]
    )
    op.create_index("ix_report_attachments_sha256", "report_attachments", ["sha256"])
    op.create_table(
        "resources",
        sa.Column("resource_id", sa.String(128), nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("department", sa.String(512), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("availability", sa.String(16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("occupancy", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("measure", sa.String(64), nullable=False),
        sa.Column("warn_at", sa.Float(), nullable=True),
        sa.Column("alarm_at", sa.Float(), nullable=True),
        sa.Column("draft_type", sa.String(64), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_measured", UTCDateTime(), nullable=True),
        sa.Column("updated", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("resource_id"),
    )
    op.create_index("ix_resources_resource_type", "resources", ["resource_type"])
    op.create_table(
        "readings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("point_id", sa.String(128), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("measured", UTCDateTime(), nullable=False),
        sa.Column("device", sa.String(128), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_readings_point_time", "readings", ["point_id", "measured"])
    op.create_table(
        "responses",
        sa.Column("incident_id", sa.String(128), nullable=False),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated", UTCDateTime(), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.Column("orders", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_table(
        "response_steps",
        _pk_int(),
        sa.Column("incident_id", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_response_steps_incident_id", "response_steps", ["incident_id"])
    op.create_table(
        "checklist_items",
        sa.Column("incident_id", sa.String(128), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("text", sa.String(512), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "item"),
    )
    op.create_table(
        "duty_log",
        _pk_int(),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("incident_id", sa.String(128), nullable=True),
        sa.Column("author", sa.String(512), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("msg_id"),
    )
    op.create_index("ix_duty_log_at", "duty_log", ["at"])
    op.create_table(
        "duty_shifts",
        sa.Column("shift_id", sa.String(128), nullable=False),
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("post", sa.String(64), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("end", UTCDateTime(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("shift_id"),
    )
    op.create_index("ix_duty_shifts_start", "duty_shifts", ["start"])
    op.create_table(
        "handovers",
        _pk_int(),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("from_person", sa.String(128), nullable=False),
        sa.Column("to_person", sa.String(128), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("open_items", sa.Text(), nullable=False),
        sa.Column("open_alarms", sa.Integer(), nullable=False),
        sa.Column("open_orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in (
        "handovers",
        "duty_shifts",
        "duty_log",
        "checklist_items",
        "response_steps",
        "responses",
        "readings",
        "resources",
        "report_attachments",
        "attachments",
    ):
        op.drop_table(table)
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("draft_of")
        batch.drop_column("area")
    with op.batch_alter_table("reports") as batch:
        for name in ("version", "author", "source"):
            batch.drop_column(name)
