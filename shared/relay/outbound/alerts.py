"""What the provincial platform is told, and when: incidents' changes become CAP alerts.

:class:`AlertFactory` watches the hub's published picture (incidents, reports, responses)
and turns each relayable change of a real incident into a CAP 1.2 alert:

* every report (初报 / 续报 / 终报) — the incident's first alert is ``Alert``, later ones
  ``Update`` and reference all earlier ones;
* a level change after the first alert;
* every response step (activate, raise, lower, end);
* closing: ``Cancel`` when closed as a false alarm straight from ``reported``, otherwise an
  ``Update`` with urgency ``Past`` and response type ``AllClear``.

Exercise incidents and drill reports are never relayed (their ``exercise`` flag is set end to
end). Identifiers derive from the change itself, so seeing a change twice yields the same
identifier and the queue keeps one; each event has its own (a second closing after a
reopening is a new alert, not the first one seen again), and they are injective: each part
keeps letters, digits and ``-`` and writes any other character as ``_hex_``, so ``HS,1`` and
``HS_1`` are different alerts (both were ``HS_1`` before, and the second was dropped as
"already queued").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

import msgspec

from shared.data import load_toml
from shared.domain.classification import Classification, DomainError, classification
from shared.domain.grading import LEVEL_NAMES, LEVEL_NUMERALS
from shared.geo.places import county_seats
from shared.protocol.messages import AttachmentRef
from shared.protocol.state import IncidentState, ReportState, ResponseState, StateValue
from shared.relay.formats.cap import Alert, Area, CapError, Circle, Info, Resource

AlertKind = Literal["report", "level", "response", "close", "reopen"]
_UNSAFE = re.compile(r"[^0-9A-Za-z._:-]")
_ESCAPED = re.compile(r"[^0-9A-Za-z-]")


def _part(text: str) -> str:
    """One part of an identifier, injectively: letters, digits and ``-`` as they are, any
    other character as ``_`` + its code point in hex + ``_``."""
    return _ESCAPED.sub(lambda m: f"_{ord(m.group()):x}_", text)


_ACTIONS = {"activate": "启动", "raise": "提升", "lower": "降低", "end": "终止"}
_STATUS_NAMES = {
    "reported": "已报告",
    "verified": "已核实",
    "responding": "响应中",
    "closed": "已结束",
}


class SenderSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who the city is in CAP and EDXL-DE terms."""

    sender: str
    sender_id: str
    sender_name: str
    source: str = ""
    division: str = "131100"
    contact: str = ""
    confidentiality: str = "UNCLASSIFIED AND NOT SENSITIVE"
    point_radius_km: float = 1.0
    subdivision: str = "CN-HE"
    identifier_prefix: str = "CN-131100"


class CapSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``shared/data/cap.toml``: the sender and the value mappings."""

    sender: SenderSettings
    severity: dict[str, str]
    certainty: dict[str, str]
    category: dict[str, str]
    class_category: dict[str, str]
    stage: dict[str, str]


def load_cap_settings(text: str | None = None) -> CapSettings:
    """The packaged ``cap.toml`` (or ``text``).

    Raises:
        CapError: not TOML, or a field missing or mistyped.
    """
    return load_toml("cap.toml", CapSettings, text, error=CapError)


class AlertEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One alert to relay, with the attachments (held by the hub) that go with it."""

    kind: AlertKind
    incident_id: str
    alert: Alert
    attachments: list[AttachmentRef] = msgspec.field(default_factory=list)
    exercise: bool = False


class AlertFactory:
    """Turns published changes into alerts; remembers per incident what was relayed.

    Args:
        settings: the CAP mapping.
        clock: the time alerts are ``sent``.
        report_text: the full text of a report by id (the picture holds only its title).
    """

    def __init__(
        self,
        settings: CapSettings | None = None,
        clock: Callable[[], datetime] | None = None,
        report_text: Callable[[str], str] = lambda report_id: "",
        types: Classification | None = None,
    ) -> None:
        from datetime import UTC

        self.settings = settings or load_cap_settings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.report_text = report_text
        self.types = types or classification()
        self.counties = {p.code: p.name for p in county_seats()}
        self.incidents: dict[str, IncidentState] = {}
        self.chain: dict[str, list[str]] = {}
        """Per incident, the ``references`` entries of every alert relayed so far."""
        self.level_sent: dict[str, int | None] = {}
        self.steps_seen: dict[str, int] = {}
        self.reports_seen: set[str] = set()
        self.closed_sent: set[str] = set()

    # --- what has been relayed (at start, from the queue) --------------------------------

    def remember(self, incident_id: str, reference: str, level: int | None, kind: str) -> None:
        """Note an alert relayed before (read back from the durable queue at start)."""
        self.chain.setdefault(incident_id, []).append(reference)
        self.level_sent[incident_id] = level
        if kind == "close":
            self.closed_sent.add(incident_id)
        elif kind == "reopen":
            self.closed_sent.discard(incident_id)

    def prime(self, values: Iterable[StateValue]) -> None:
        """Learn the picture as it stands without relaying it (hub start)."""
        for value in values:
            match value:
                case IncidentState():
                    self.incidents[value.incident_id] = value
                case ReportState():
                    self.reports_seen.add(value.report_id)
                case ResponseState():
                    self.steps_seen[value.incident_id] = len(value.history)

    # --- changes -------------------------------------------------------------------------

    def observe(self, value: StateValue | None) -> list[AlertEvent]:
        """The alerts one published change calls for (often none)."""
        match value:
            case IncidentState():
                return self._incident(value)
            case ReportState():
                return self._report(value)
            case ResponseState():
                return self._response(value)
        return []

    def _incident(self, inc: IncidentState) -> list[AlertEvent]:
        before = self.incidents.get(inc.incident_id)
        self.incidents[inc.incident_id] = inc
        if inc.exercise or inc.incident_id not in self.chain:
            return []  # nothing relayed yet: the first report carries the level
        if inc.status == "closed":
            if inc.incident_id in self.closed_sent:
                return []
            self.closed_sent.add(inc.incident_id)
            false_alarm = before is not None and before.status == "reported"
            return [self._close(inc, cancel=false_alarm)]
        if inc.incident_id in self.closed_sent:  # closed, and now open again
            self.closed_sent.discard(inc.incident_id)
            stamp = int(inc.updated.timestamp())
            ident = self._identifier(inc.incident_id, "reopen", stamp)
            text = "事件重新打开。" + (f"理由：{inc.status_note}。" if inc.status_note else "")
            return [self._event("reopen", inc, ident, "重新打开", text, [])]
        retyped = before is not None and before.type_code != inc.type_code
        if inc.level != self.level_sent.get(inc.incident_id) or retyped:
            stamp = int(inc.updated.timestamp())
            text = ""
            if retyped:
                assert before is not None
                text += (
                    f"事件类型由{self._type_name(before.type_code)}调整为"
                    f"{self._type_name(inc.type_code)}。"
                )
            if inc.level != self.level_sent.get(inc.incident_id):
                text += f"事件级别调整为{_level_text(inc.level)}。"
                if inc.override_reason:
                    text += f"理由：{inc.override_reason}。"
            what = ("T" + inc.type_code,) if retyped else ()
            ident = self._identifier(inc.incident_id, *what, f"L{inc.level or 0}", stamp)
            heading = "类型调整" if retyped else "级别调整"
            return [self._event("level", inc, ident, heading, text, [])]
        return []

    def _type_name(self, code: str) -> str:
        if not code:
            return "（未分类）"
        try:
            return f"{self.types.type(code).name}（{code}）"
        except DomainError:
            return code

    def _report(self, rep: ReportState) -> list[AlertEvent]:
        if rep.report_id in self.reports_seen:
            return []
        self.reports_seen.add(rep.report_id)
        inc = self.incidents.get(rep.incident_id)
        if inc is None or inc.exercise or rep.exercise:
            return []
        stage = self.settings.stage.get(rep.stage, rep.stage)
        body = self.report_text(rep.report_id).strip()
        text = f"【{stage}】{rep.title}。"
        if body:
            text += body if body.endswith("。") else body + "。"
        text += f"报告人：{rep.author or rep.sender}。"
        ident = self.report_identifier(rep)
        resources = [
            Resource(
                resource_desc=a.name, mime_type=a.media_type, size=a.size, uri=f"cid:{a.sha256}"
            )
            for a in rep.attachments
        ]
        if rep.area and len(rep.area) >= 4:  # the area seen on the scene, if the sender drew one
            inc = msgspec.structs.replace(inc, area=list(rep.area))
        event = self._event("report", inc, ident, stage, text, resources, rep.attachments)
        return [event]

    def _response(self, resp: ResponseState) -> list[AlertEvent]:
        seen = self.steps_seen.get(resp.incident_id, 0)
        self.steps_seen[resp.incident_id] = len(resp.history)
        inc = self.incidents.get(resp.incident_id)
        if inc is None or inc.exercise or resp.exercise or len(resp.history) <= seen:
            return []
        events = []
        for n, step in enumerate(resp.history[seen:], start=seen + 1):
            action = _ACTIONS.get(step.action, step.action)
            text = (
                f"{action}{_level_text(step.level)}应急响应（预案：{resp.plan}），"
                f"决定人：{step.by}。"
            )
            if step.reason:
                text += f"理由：{step.reason}。"
            ident = self.response_identifier(resp.incident_id, n)
            events.append(
                self._event("response", inc, ident, "应急响应", text, [], response=step.level)
            )
        return events

    def _close(self, inc: IncidentState, *, cancel: bool) -> AlertEvent:
        # one per closing: closed, reopened and closed again is two endings at the province
        stamp = int(inc.updated.timestamp() * 1_000_000)
        ident = self._identifier(inc.incident_id, "X", stamp)
        reason = inc.closed_reason or ("误报" if cancel else "处置结束")
        text = f"事件已{'撤销（误报）' if cancel else '处置结束'}：{reason}。"
        return self._event("close", inc, ident, "结束", text, [], cancel=cancel)

    # --- building -------------------------------------------------------------------------

    def report_identifier(self, rep: ReportState) -> str:
        """The CAP identifier of a report's alert."""
        return self._identifier(rep.incident_id, "R", rep.report_id)

    def response_identifier(self, incident_id: str, step: int) -> str:
        """The CAP identifier of an incident's ``step``-th response change (from 1)."""
        return self._identifier(incident_id, f"P{step}")

    def legacy_identifiers(self, incident_id: str, *what: object) -> str:
        """The identifier an older build gave (characters outside ``[0-9A-Za-z._:-]`` as
        ``_``): what the durable queue may hold from before, so it is not sent again."""
        joined = ".".join(map(str, what))
        return _UNSAFE.sub("_", f"{self.settings.sender.identifier_prefix}.{incident_id}.{joined}")

    def _identifier(self, incident_id: str, *what: object) -> str:
        parts = [self.settings.sender.identifier_prefix, incident_id, *map(str, what)]
        return ".".join(_part(p) for p in parts)

    def _event(
        self,
        kind: AlertKind,
        inc: IncidentState,
        identifier: str,
        stage: str,
        text: str,
        resources: list[Resource],
        attachments: list[AttachmentRef] | None = None,
        *,
        response: int | None = None,
        cancel: bool = False,
    ) -> AlertEvent:
        s = self.settings
        chain = self.chain.setdefault(inc.incident_id, [])
        closed = kind == "close"
        alert = Alert(
            identifier=identifier,
            sender=s.sender.sender,
            sent=self.clock(),
            status="Actual",
            msg_type="Cancel" if cancel else ("Update" if chain else "Alert"),
            scope="Restricted",
            restriction="政务内网：仅限省、市应急管理部门",
            source=s.sender.source,
            references=list(chain),
            incidents=[_UNSAFE.sub("_", inc.incident_id)],
            infos=[self._info(inc, stage, text, resources, response, closed)],
        )
        chain.append(alert.reference())
        self.level_sent[inc.incident_id] = inc.level
        return AlertEvent(
            kind=kind, incident_id=inc.incident_id, alert=alert, attachments=attachments or []
        )

    def _info(
        self,
        inc: IncidentState,
        stage: str,
        text: str,
        resources: list[Resource],
        response: int | None,
        closed: bool,
    ) -> Info:
        s = self.settings
        type_name, category = self._type(inc.type_code)
        county = self.counties.get(inc.division or "", "")
        facts = (
            f"事件类型：{type_name}；级别：{_level_text(inc.level)}；"
            f"状态：{_STATUS_NAMES.get(inc.status, inc.status)}。"
            f"死亡{inc.dead}人，失踪{inc.missing}人，重伤{inc.seriously_injured}人，"
            f"受困{inc.trapped}人，疏散{inc.evacuated}人，直接经济损失{inc.direct_loss_cny}元。"
        )
        params = [
            ("事件编号", inc.incident_id),
            ("信息阶段", stage),
            ("事件级别", LEVEL_NUMERALS.get(inc.level or 0, "未定级")),
            ("死亡人数", str(inc.dead)),
            ("失踪人数", str(inc.missing)),
            ("重伤人数", str(inc.seriously_injured)),
            ("受困人数", str(inc.trapped)),
            ("疏散人数", str(inc.evacuated)),
            ("直接经济损失（元）", str(inc.direct_loss_cny)),
        ]
        if response is not None:
            params.append(("响应级别", LEVEL_NUMERALS.get(response, str(response))))
        if inc.division:
            params.append(("行政区划代码", inc.division))
        return Info(
            language="zh-CN",
            category=[category],
            event=type_name,
            response_type=["AllClear"] if closed else [],
            urgency="Past" if closed else "Immediate",
            severity=s.severity.get(str(inc.level), "Unknown") if inc.level else "Unknown",
            certainty=s.certainty.get(inc.status, "Unknown"),
            event_codes=[("事件类型代码", inc.type_code)] if inc.type_code else [],
            onset=inc.occurred,
            sender_name=s.sender.sender_name,
            headline=f"{county or '衡水市'}{inc.title}（{stage}）"[:160],
            description=text + facts,
            contact=s.sender.contact,
            parameters=params,
            resources=resources,
            areas=[self._area(inc, county)],
        )

    def _type(self, code: str) -> tuple[str, str]:
        s = self.settings
        try:
            t = self.types.type(code) if code else None
        except DomainError:
            t = None
        if t is None:
            return (code or "突发事件"), "Other"
        return t.name, s.category.get(t.code) or s.class_category.get(t.class_, "Other")

    def _area(self, inc: IncidentState, county: str) -> Area:
        desc = f"河北省衡水市{county}" if county else "河北省衡水市"
        codes = [("GB/T 2260", inc.division or self.settings.sender.division)]
        if inc.area and len(inc.area) >= 3:
            ring = [(lat, lon) for lat, lon in inc.area]
            if ring[0] != ring[-1]:
                ring.append(ring[0])
            if len(ring) >= 4:
                return Area(area_desc=desc, polygons=[ring], geocodes=codes)
        circle = Circle(inc.lat, inc.lon, self.settings.sender.point_radius_km)
        return Area(area_desc=desc, circles=[circle], geocodes=codes)


def _level_text(level: int | None) -> str:
    if not level:
        return "未定级"
    return f"{LEVEL_NUMERALS.get(level, str(level))}级（{LEVEL_NAMES.get(level, '')}）"
