"""`kubectl conectafy doctor`: what needs a person, worked out from what kubectl can read (pure).

The command gathers sessions, Events, kopf's peering object and the API's `/ready` and `/metrics`;
this module turns them into one screen and says whether someone has to act.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from conectafy.peering import Peer, active_peer, peers_of

HOUR = timedelta(hours=1)
QUIET = ("Connected", "Stopped")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class SessionFinding:
    name: str
    phase: str
    condition: str  # "Connected=False DeviceUnlinked: …" — the newest condition that is not fine
    last_event: str
    restarts_last_hour: int
    needs_person: bool


def _condition(status: dict[str, Any]) -> dict[str, Any] | None:
    """The most telling condition: Degraded=True first, else the newest that is not True."""
    conditions = status.get("conditions") or []
    degraded = [c for c in conditions if c.get("type") == "Degraded" and c.get("status") == "True"]
    troubled = degraded or [
        c for c in conditions if c.get("status") != "True" and c.get("type") != "Degraded"
    ]
    return max(troubled, key=lambda c: c.get("lastTransitionTime") or "", default=None)


def _event_time(event: dict[str, Any]) -> str:
    meta = event.get("metadata") or {}
    return str(event.get("lastTimestamp") or event.get("eventTime") or meta.get("creationTimestamp") or "")


def last_event(events: list[dict[str, Any]], name: str) -> str:
    """The newest Event about the session, as "Type Reason: message"."""
    mine = [e for e in events if (e.get("involvedObject") or {}).get("name") == name]
    if not mine:
        return "<none>"
    event = max(mine, key=_event_time)
    return f"{event.get('type', 'Normal')} {event.get('reason', '')}: {event.get('message', '')}".strip()


def _describe(condition: dict[str, Any]) -> str:
    kind, value, reason = condition.get("type"), condition.get("status"), condition.get("reason")
    return f"{kind}={value} {reason}: {condition.get('message', '')}"


def needs_person(status: dict[str, Any], paused: bool) -> bool:
    """Failed, healing stopped, the phone unlinked, or a session that was connected and is no longer."""
    if paused:
        return False
    condition = _condition(status) or {}
    if status.get("phase") == "Failed" or condition.get("type") == "Degraded":
        return True
    if condition.get("reason") == "DeviceUnlinked":
        return True
    return status.get("phase") not in QUIET and bool(status.get("lastConnectedAt"))


def session_findings(
    sessions: list[dict[str, Any]], events: list[dict[str, Any]], now: datetime
) -> list[SessionFinding]:
    """One finding per session that is not Connected (paused ones are Stopped on purpose)."""
    findings = []
    for session in sorted(sessions, key=lambda s: s["metadata"]["name"]):
        status = session.get("status") or {}
        paused = bool((session.get("spec") or {}).get("paused"))
        if status.get("phase") == "Connected" or paused:
            continue
        name = session["metadata"]["name"]
        condition = _condition(status)
        described = _describe(condition) if condition else "<none>"
        recent = [t for t in map(_time, status.get("restartTimes") or []) if t is not None and now - t < HOUR]
        findings.append(
            SessionFinding(
                name=name,
                phase=status.get("phase") or "Pending",
                condition=described.strip(),
                last_event=last_event(events, name),
                restarts_last_hour=len(recent),
                needs_person=needs_person(status, paused),
            )
        )
    return findings


def operator_peer(peering: dict[str, Any] | None, now: datetime) -> tuple[str, bool]:
    """(what to print, whether it is fine): no peering object means a standalone operator."""
    if peering is None:
        return "no peering object (a standalone operator, or not installed here)", True
    peers = peers_of(peering)
    top: Peer | None = active_peer(peers, now)
    alive = [peer.identity for peer in peers if peer.alive(now)]
    if top is None:
        return f"NO ACTIVE PEER (live peers: {', '.join(alive) or 'none'})", False
    return f"{top.identity} (priority {top.priority}; {len(alive)} live peer(s))", True


def metric_sum(exposition: str, name: str, **labels: str) -> float:
    """Sum of one metric's samples whose labels include `labels`; 0 when it has none."""
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


@dataclass
class Report:
    namespace: str
    sessions: list[SessionFinding]
    total_sessions: int
    operator: tuple[str, bool]
    api_ready: tuple[str, bool]
    rejected_signatures: float | None = None
    dead_letters: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def needs_person(self) -> bool:
        return (
            any(finding.needs_person for finding in self.sessions)
            or not self.operator[1]
            or not self.api_ready[1]
            or bool(self.dead_letters)
        )


def render(report: Report) -> str:
    """The one screen."""
    counts = f"{report.total_sessions} session(s), {len(report.sessions)} not Connected"
    lines = [f"Namespace {report.namespace}: {counts}"]
    for finding in report.sessions:
        mark = "!" if finding.needs_person else "-"
        restarts = f"{finding.restarts_last_hour} restart(s) in the last hour"
        lines += [
            f"  {mark} {finding.name}: {finding.phase}, {restarts}",
            f"      condition:  {finding.condition}",
            f"      last event: {finding.last_event}",
        ]
    lines.append(f"Operator active peer: {report.operator[0]}")
    lines.append(f"API readiness: {report.api_ready[0]}")
    rejected = "unknown" if report.rejected_signatures is None else f"{report.rejected_signatures:g}"
    dead = "unknown" if report.dead_letters is None else f"{report.dead_letters:g}"
    counts = f"{rejected} rejected signature(s), {dead} dead letter(s)"
    lines.append(f"Webhooks: {counts} (since the API pods started)")
    lines += [f"Note: {note}" for note in report.notes]
    lines.append("Needs a person." if report.needs_person else "All good.")
    return "\n".join(lines)
