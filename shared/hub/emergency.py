"""Emergencies (SOS, man-down) and duty sign-ins on the hub.

An emergency lives in the picture from its first alert until its sender cancels it; every
repeat refreshes its position and count. An SOS is never refused, and a device has at most
one active alarm per trigger: a new alert id for the same trigger while one is active
updates that one (its id kept among the alarm's ``aliases``), so a stolen device cannot fill
the hall and the audit log with thousands of distinct alarms. The hall's acknowledgement is
recorded once (the sender stops repeating when it sees it). Every raise, acknowledgement and
cancellation is in the audit log; the picture is not kept across a hub restart because the
sender repeats every few seconds until acknowledged, which raises it again.
"""

from __future__ import annotations

import msgspec

from shared.hub.common import Batch, Refusal
from shared.protocol import Emergency, EmergencyAck, Message, ShiftSignIn
from shared.protocol.state import EmergencyState, SignInState, signin_key
from shared.store.audit import AuditRecord

MAX_ALIASES = 8


class EmergencyHandler:
    """The ``emergency``, ``emergency_ack`` and ``sign_in`` message kinds."""

    def handle(self, b: Batch, msg: Message, device: str, role: str) -> None:
        match msg:
            case Emergency() | EmergencyAck():
                self._emergency(b, msg, device, role)
            case ShiftSignIn():
                self._sign_in(b, msg, device, role)
            case _:  # pragma: no cover - only these kinds are routed here
                raise Refusal("invalid", f"{type(msg).__name__} is not an emergency or sign-in")

    def _emergency(self, b: Batch, msg: Emergency | EmergencyAck, device: str, role: str) -> None:
        current = b.current("emergency", msg.alert_id)
        if current is None:
            # an id this device raised while its alarm for the same trigger was active
            current = self._aliased(b, msg.alert_id, device)
        if isinstance(msg, EmergencyAck):
            if not isinstance(current, EmergencyState):
                raise Refusal(
                    "not_found",
                    f"no emergency {msg.alert_id!r} is active (cancelled by its sender?)",
                )
            if not current.acknowledged_by:
                b.pending[("emergency", msg.alert_id)] = msgspec.structs.replace(
                    current, acknowledged_by=device, acknowledged_at=b.now
                )
                b.audits.append(AuditRecord(device, "emergency_ack", msg.alert_id, msg.note[:400]))
            return
        if isinstance(current, EmergencyState) and current.device != device:
            raise Refusal("forbidden", f"emergency {msg.alert_id!r} belongs to {current.device}")
        if not msg.active:
            if isinstance(current, EmergencyState):
                b.pending[("emergency", current.alert_id)] = None
                b.audits.append(
                    AuditRecord(device, "emergency_cancel", current.alert_id, msg.note[:400])
                )
            return
        if current is None:
            current = self._active(b, device, msg.trigger)
            if isinstance(current, EmergencyState):  # a new id for an active alarm: updates it
                aliases = [*current.aliases, msg.alert_id][-MAX_ALIASES:]
                # a new press is a new call for help: the hall is alerted again
                current = msgspec.structs.replace(
                    current, aliases=aliases, acknowledged_by="", acknowledged_at=None
                )
        if isinstance(current, EmergencyState):
            b.pending[("emergency", current.alert_id)] = msgspec.structs.replace(
                current,
                last_seen=b.now,
                lat=msg.lat if msg.lat is not None else current.lat,
                lon=msg.lon if msg.lon is not None else current.lon,
                repeats=current.repeats + 1,
            )
            return
        b.pending[("emergency", msg.alert_id)] = EmergencyState(
            alert_id=msg.alert_id,
            device=device,
            kind=msg.trigger,
            raised=b.now,
            last_seen=b.now,
            lat=msg.lat,
            lon=msg.lon,
            callsign=msg.callsign,
            note=msg.note,
            exercise=msg.exercise,
        )
        where = (
            f"{msg.lat:.5f},{msg.lon:.5f}" if msg.lat is not None and msg.lon is not None else "?"
        )
        b.audits.append(AuditRecord(device, "emergency", msg.alert_id, f"{msg.trigger} at {where}"))

    @staticmethod
    def _active(b: Batch, device: str, trigger: str) -> EmergencyState | None:
        """This device's active alarm for ``trigger``, if any (the batch's changes first)."""

        for (topic, _), value in b.pending.items():
            if (
                topic == "emergency"
                and isinstance(value, EmergencyState)
                and (value.device, value.kind) == (device, trigger)
            ):
                return value
        for value in b.state.topics["emergency"].items.values():
            if not isinstance(value, EmergencyState) or (value.device, value.kind) != (
                device,
                trigger,
            ):
                continue
            if ("emergency", value.alert_id) not in b.pending:
                return value
        return None

    @staticmethod
    def _aliased(b: Batch, alert_id: str, device: str) -> EmergencyState | None:
        for value in b.state.topics["emergency"].items.values():
            if isinstance(value, EmergencyState) and alert_id in value.aliases:
                current = b.current("emergency", value.alert_id)
                return current if isinstance(current, EmergencyState) else None
        return None

    def _sign_in(self, b: Batch, msg: ShiftSignIn, device: str, role: str) -> None:
        key = signin_key(device)
        if msg.on:
            b.pending[("duty", key)] = SignInState(
                device=device, role=role, person=msg.person, since=b.now, post=msg.post
            )
        else:
            b.pending[("duty", key)] = None
        b.audits.append(
            AuditRecord(device, "sign_in" if msg.on else "sign_out", msg.person, msg.post[:400])
        )
