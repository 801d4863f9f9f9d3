"""Status as a public API: phase, conditions and the events that announce their changes (pure).

The operator observes the world (Deployment, WAHA) into an `Observation`; `build_status` turns it
into the next `.status`, keeping what must be stable (lastTransitionTime, the last known phone);
`transitions` says which Kubernetes Events to post for the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from conectafy.phase import e164, phase_for
from conectafy.session import Condition, ConditionType, Phase, WhatsAppSessionStatus
from conectafy.waha.status import DEFAULT_SESSION, WahaStatus


class Reason:
    """Condition and Event reasons, defined once (CamelCase, as Kubernetes expects)."""

    WORKLOAD_AVAILABLE = "WorkloadAvailable"
    WORKLOAD_UNAVAILABLE = "WorkloadUnavailable"
    WORKLOAD_MISSING = "WorkloadMissing"
    PAUSED = "Paused"
    WORKING = "Working"
    SCAN_QR = "ScanQR"
    PASSKEY_REQUIRED = "PasskeyRequired"
    PASSKEY_CONFIRMATION_REQUIRED = "PasskeyConfirmationRequired"
    STARTING = "Starting"
    FAILED = "Failed"
    STOPPED = "Stopped"
    WAHA_UNREACHABLE = "WahaUnreachable"
    PHASE_CHANGED = "PhaseChanged"
    RESTARTING = "Restarting"
    INVALID_SPEC = "InvalidSpec"
    # Self-healing (operator/healing.py)
    DEVICE_UNLINKED = "DeviceUnlinked"
    RESTART_STORM = "RestartStorm"
    HEALING_RESUMED = "HealingResumed"
    POD_RESTARTED = "PodRestarted"
    LOGGED_OUT = "LoggedOut"


#: Reasons that mean "something is wrong": their Events are Warnings.
WARNING_REASONS = frozenset(
    {
        Reason.FAILED,
        Reason.WAHA_UNREACHABLE,
        Reason.WORKLOAD_UNAVAILABLE,
        Reason.INVALID_SPEC,
        Reason.DEVICE_UNLINKED,
        Reason.RESTART_STORM,
        Reason.POD_RESTARTED,
        Reason.LOGGED_OUT,
    }
)

_CONNECTED_REASON: dict[WahaStatus, str] = {
    WahaStatus.STOPPED: Reason.STOPPED,
    WahaStatus.STARTING: Reason.STARTING,
    WahaStatus.SCAN_QR_CODE: Reason.SCAN_QR,
    WahaStatus.PASSKEY_REQUIRED: Reason.PASSKEY_REQUIRED,
    WahaStatus.PASSKEY_CONFIRMATION_REQUIRED: Reason.PASSKEY_CONFIRMATION_REQUIRED,
    WahaStatus.WORKING: Reason.WORKING,
    WahaStatus.FAILED: Reason.FAILED,
}


@dataclass(frozen=True)
class Observation:
    """What the operator saw of one session at one moment; everything `build_status` needs."""

    generation: int
    paused: bool
    workload_exists: bool
    workload_available: bool
    waha_status: WahaStatus | None = None
    phone_number: str | None = None  # E.164, see phone_from_me_id
    push_name: str | None = None
    endpoint: str | None = None
    image: str | None = None
    waha_error: str | None = None  # why WAHA could not be read, when it could not
    invalid_spec: str | None = None  # why the API server rejected a child built from this spec (422)


def phone_from_me_id(me_id: str | None) -> str | None:
    """WAHA's `me.id` ("15550001111@c.us") as E.164 ("+15550001111"); None for anything else."""
    if not me_id or "@" not in me_id:
        return None
    return e164(me_id)


def _ready(obs: Observation) -> tuple[Literal["True", "False"], str, str]:
    if obs.invalid_spec is not None:
        return "False", Reason.INVALID_SPEC, obs.invalid_spec
    if obs.workload_available:
        return "True", Reason.WORKLOAD_AVAILABLE, "The WAHA pod is ready."
    if obs.paused:
        return "False", Reason.PAUSED, "The session is paused; WAHA is scaled to zero."
    if not obs.workload_exists:
        return "False", Reason.WORKLOAD_MISSING, "The WAHA Deployment does not exist yet."
    return "False", Reason.WORKLOAD_UNAVAILABLE, "The WAHA pod is not ready."


def _connected(obs: Observation) -> tuple[Literal["True", "False", "Unknown"], str, str]:
    if obs.paused:
        return "False", Reason.PAUSED, "The session is paused."
    if not obs.workload_available:
        return "False", Reason.WORKLOAD_UNAVAILABLE, "WAHA is not running."
    if obs.waha_status is None:
        return "Unknown", Reason.WAHA_UNREACHABLE, obs.waha_error or "WAHA did not answer."
    status = obs.waha_status
    message = f"WAHA session status is {status.value}."
    return ("True" if status is WahaStatus.WORKING else "False"), _CONNECTED_REASON[status], message


def _condition(
    kind: ConditionType,
    values: tuple[Literal["True", "False", "Unknown"], str, str],
    *,
    previous: WhatsAppSessionStatus | None,
    obs: Observation,
    now: datetime,
) -> Condition:
    """lastTransitionTime moves only when the status itself changes (reason/message may vary)."""
    status, reason, message = values
    before = _find(previous, kind)
    since = before.last_transition_time if before is not None and before.status == status else now
    return Condition(
        type=kind.value,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=since,
        observed_generation=obs.generation,
    )


def _find(status: WhatsAppSessionStatus | None, kind: str) -> Condition | None:
    if status is None:
        return None
    return next((condition for condition in status.conditions if condition.type == kind), None)


def build_status(
    obs: Observation, previous: WhatsAppSessionStatus | None, now: datetime
) -> WhatsAppSessionStatus:
    """The next `.status`: phone/pushName stay known while disconnected; lastConnectedAt marks the
    moment Connected became True; a connection clears the FAILED restart counter."""
    ready = _condition(ConditionType.READY, _ready(obs), previous=previous, obs=obs, now=now)
    connected = _condition(ConditionType.CONNECTED, _connected(obs), previous=previous, obs=obs, now=now)
    before = _find(previous, ConditionType.CONNECTED)
    was_connected = before is not None and before.status == "True"
    last_connected_at = previous.last_connected_at if previous else None
    if connected.status == "True" and not was_connected:
        last_connected_at = now
    phase = phase_for(obs.waha_status, paused=obs.paused, workload_available=obs.workload_available)
    return WhatsAppSessionStatus(
        phase=phase,
        wa_status=obs.waha_status.value if obs.waha_status and obs.workload_available else None,
        phone_number=obs.phone_number or (previous.phone_number if previous else None),
        push_name=obs.push_name or (previous.push_name if previous else None),
        endpoint=obs.endpoint,
        waha_session=DEFAULT_SESSION if obs.workload_exists else None,
        image=obs.image,
        observed_generation=obs.generation,
        last_connected_at=last_connected_at,
        failure_count=None if phase is Phase.CONNECTED else (previous.failure_count if previous else None),
        last_restart_at=previous.last_restart_at if previous else None,
        conditions=[ready, connected],
    )


@dataclass(frozen=True)
class Transition:
    """One Kubernetes Event to post on the session."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str


def _event_type(reason: str) -> Literal["Normal", "Warning"]:
    return "Warning" if reason in WARNING_REASONS else "Normal"


def transitions(previous: WhatsAppSessionStatus | None, current: WhatsAppSessionStatus) -> list[Transition]:
    """One Event per phase change and per condition whose status or reason changed."""
    result: list[Transition] = []
    before_phase = previous.phase if previous else None
    if current.phase != before_phase:
        was = before_phase.value if before_phase else "none"
        kind: Literal["Normal", "Warning"] = "Warning" if current.phase is Phase.FAILED else "Normal"
        result.append(Transition(kind, Reason.PHASE_CHANGED, f"Phase {was} → {current.phase.value}."))
    for condition in current.conditions:
        before = _find(previous, condition.type)
        if before is not None and (before.status, before.reason) == (condition.status, condition.reason):
            continue
        message = f"{condition.type} is {condition.status}: {condition.message}"
        result.append(Transition(_event_type(condition.reason), condition.reason, message))
    return result


def failed_restart_delay(failure_count: int, base: float, cap: float) -> float:
    """Seconds to wait before restarting a FAILED session: base·2^count, never more than cap."""
    if failure_count < 0 or base < 0 or cap < 0:
        raise ValueError(f"failure_count, base and cap must be ≥ 0, got {failure_count}, {base}, {cap}")
    if failure_count >= 64:  # 2**64·base is beyond any sane cap; avoid float overflow
        return cap
    return float(min(cap, base * 2**failure_count))
