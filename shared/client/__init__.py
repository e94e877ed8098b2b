"""The client core shared by the field unit, the liaison client and the command hall."""

from shared.client.actions import (
    act,
    confirm_draft,
    file_written_report,
    issue_order,
    new_incident_id,
    read_record,
    respond,
    take_call,
    write_duty_log,
)
from shared.client.assess import assess_incident, context_from_resources, domain_incident
from shared.client.attachments import UploadError, upload
from shared.client.client import HubClient
from shared.client.inbox import OrderInbox
from shared.client.link import BACKOFF_MAX_S, BACKOFF_MIN_S, LinkState
from shared.client.outbox import Outbox, OutboxError
from shared.client.picture import PictureChanges, SituationPicture
from shared.client.replica import Replica, SnapshotTimeout

__all__ = [
    "BACKOFF_MAX_S",
    "BACKOFF_MIN_S",
    "HubClient",
    "LinkState",
    "OrderInbox",
    "Outbox",
    "OutboxError",
    "PictureChanges",
    "Replica",
    "SituationPicture",
    "SnapshotTimeout",
    "UploadError",
    "act",
    "assess_incident",
    "confirm_draft",
    "context_from_resources",
    "domain_incident",
    "file_written_report",
    "issue_order",
    "new_incident_id",
    "read_record",
    "respond",
    "take_call",
    "upload",
    "write_duty_log",
]
