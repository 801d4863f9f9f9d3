"""Self-healing that knows when to stop: pure decisions from what one reconcile saw (no I/O).

The rules (thresholds in `OperatorSettings`, documented in docs/operations.md):

- FAILED → restart WAHA's session with capped backoff; FAILED again after a restart while a phone is
  linked (`me` present) → the phone unlinked the device: log out, so WAHA shows a new QR
  (condition reason `DeviceUnlinked`) — restarting never recovers that case;
- STARTING for `stuck_starting_seconds`, or SCAN_QR_CODE for `stuck_scan_qr_seconds` on a session
  that was connected before → restart WAHA's session;
- the pod is Ready but `zombie_poll_failures` polls in a row failed → roll the pod;
- `restart_storm_limit` restarts within `restart_storm_window` → stop restarting (`Degraded=True`)
  until the spec (generation) or the `restartedAt` annotation changes.

`decide` says what to do; `next_state` and `annotate` say what the status remembers of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from conectafy.operator.status import Reason
from conectafy.session import Condition, ConditionType, HealingHold, Phase, WhatsAppSessionStatus
from conectafy.settings import OperatorSettings
from conectafy.waha.status import WahaStatus


class Action(StrEnum):
    NONE = "none"
    RESTART_SESSION = "restart_session"  # POST /api/sessions/default/restart (the login is kept)
    RESTART_POD = "restart_pod"  # roll the WAHA Deployment's pod
    LOGOUT = "logout"  # the phone unlinked the device: WAHA goes back to SCAN_QR_CODE
    HOLD = "hold"  # a restart storm: stop restarting until a person changes something


class Cause(StrEnum):
    """Why a decision was taken: the `reason` label of the restart and decision metrics."""

    FAILED = "failed"
    STUCK_STARTING = "stuck_starting"
    STUCK_SCAN_QR = "stuck_scan_qr"
    ZOMBIE = "zombie"
    DEVICE_UNLINKED = "device_unlinked"
    RESTART_STORM = "restart_storm"


UNLINKED_MESSAGE = "The phone unlinked this device: scan the new QR code to re-pair this number."


@dataclass(frozen=True)
class Policy:
    stuck_starting: timedelta
    stuck_scan_qr: timedelta
    zombie_poll_failures: int
    unlinked_after_restarts: int
    storm_limit: int
    storm_window: timedelta

    @classmethod
    def from_settings(cls, settings: OperatorSettings) -> Policy:
        return cls(
            stuck_starting=timedelta(seconds=settings.stuck_starting_seconds),
            stuck_scan_qr=timedelta(seconds=settings.stuck_scan_qr_seconds),
            zombie_poll_failures=settings.zombie_poll_failures,
            unlinked_after_restarts=settings.device_unlinked_after_restarts,
            storm_limit=settings.restart_storm_limit,
            storm_window=timedelta(seconds=settings.restart_storm_window),
        )


@dataclass(frozen=True)
class Health:
    """What a reconcile that polled WAHA (pod Ready, not paused) saw, for `decide`."""

    now: datetime
    generation: int
    restarted_at: str | None
    waha_status: WahaStatus | None  # None: WAHA did not answer
    linked: bool  # WAHA's answer named the linked phone (`me`)
    failed_restart_due: bool  # the FAILED backoff has passed
    previous: WhatsAppSessionStatus | None


@dataclass(frozen=True)
class Decision:
    action: Action
    cause: Cause | None = None
    message: str = ""

    @property
    def restarts(self) -> bool:
        return self.action in (Action.RESTART_SESSION, Action.RESTART_POD)


NOTHING = Decision(Action.NONE)


def hold_applies(hold: HealingHold | None, generation: int, restarted_at: str | None) -> bool:
    """A hold lasts while nobody touched the session: same generation, same restartedAt annotation."""
    return hold is not None and (hold.generation, hold.restarted_at) == (generation, restarted_at)


def recent_restarts(
    previous: WhatsAppSessionStatus | None, now: datetime, window: timedelta
) -> list[datetime]:
    return [t for t in (previous.restart_times or []) if now - t < window] if previous else []


def _in_phase_since(previous: WhatsAppSessionStatus | None, phase: Phase) -> datetime | None:
    """Since when the session has been in `phase`, counting a healing restart as a fresh start."""
    if previous is None or previous.phase is not phase or previous.phase_since is None:
        return None
    return max([previous.phase_since, *(previous.restart_times or [])])


def _wanted(health: Health, policy: Policy) -> Decision:
    """The restart (or logout) the observation calls for, before the storm brake."""
    previous, now, status = health.previous, health.now, health.waha_status
    if status is WahaStatus.FAILED:
        tries = (previous.failure_count if previous else None) or 0
        if health.linked and tries >= policy.unlinked_after_restarts:
            return Decision(
                Action.LOGOUT,
                Cause.DEVICE_UNLINKED,
                f"Still FAILED after {tries} restart(s) "
                "with a linked phone: the phone unlinked this device; logging out for a new QR.",
            )
        if health.failed_restart_due:
            return Decision(
                Action.RESTART_SESSION, Cause.FAILED, "WAHA reports FAILED; restarting its session."
            )
        return NOTHING
    if status is None:
        failures = ((previous.waha_poll_failures if previous else None) or 0) + 1
        if failures >= policy.zombie_poll_failures:
            return Decision(
                Action.RESTART_POD,
                Cause.ZOMBIE,
                f"The pod is Ready but {failures} WAHA polls in a row failed; restarting the pod.",
            )
        return NOTHING
    since = _in_phase_since(previous, Phase.STARTING) if status is WahaStatus.STARTING else None
    if since is not None and now - since >= policy.stuck_starting:
        return Decision(
            Action.RESTART_SESSION,
            Cause.STUCK_STARTING,
            f"STARTING since {since.isoformat()}; restarting WAHA's session.",
        )
    paired_before = previous is not None and previous.last_connected_at is not None
    unlinked = previous is not None and previous.device_unlinked_at is not None
    since = _in_phase_since(previous, Phase.SCAN_QR) if status is WahaStatus.SCAN_QR_CODE else None
    if since is not None and paired_before and not unlinked and now - since >= policy.stuck_scan_qr:
        return Decision(
            Action.RESTART_SESSION,
            Cause.STUCK_SCAN_QR,
            f"Paired before, but asking for a QR since {since.isoformat()}; restarting WAHA's session.",
        )
    return NOTHING


def decide(health: Health, policy: Policy) -> Decision:
    """One healing step; never a restart while a hold applies or once the storm limit is reached."""
    previous = health.previous
    if previous is not None and hold_applies(previous.healing_hold, health.generation, health.restarted_at):
        return NOTHING
    wanted = _wanted(health, policy)
    released = previous is not None and previous.healing_hold is not None
    recent = [] if released else recent_restarts(previous, health.now, policy.storm_window)
    if wanted.restarts and len(recent) >= policy.storm_limit:
        window = int(policy.storm_window.total_seconds())
        return Decision(
            Action.HOLD,
            Cause.RESTART_STORM,
            f"{len(recent)} restarts within {window} s; "
            "stopped restarting until the spec or the restartedAt annotation changes.",
        )
    return wanted


@dataclass(frozen=True)
class HealingState:
    """What the status remembers for the next decision."""

    restart_times: list[datetime]
    waha_poll_failures: int
    device_unlinked_at: datetime | None
    hold: HealingHold | None


def next_state(health: Health, decision: Decision, policy: Policy) -> HealingState:
    """The memory after this step: a released hold forgets old restarts; an answer resets failures."""
    previous, now = health.previous, health.now
    old_hold = previous.healing_hold if previous else None
    kept = hold_applies(old_hold, health.generation, health.restarted_at)
    times = recent_restarts(previous, now, policy.storm_window) if kept or old_hold is None else []
    if decision.restarts:
        times = [*times, now]
    answered = health.waha_status is not None or decision.action is Action.RESTART_POD
    failures = 0 if answered else ((previous.waha_poll_failures if previous else None) or 0) + 1
    unlinked = (
        now if decision.action is Action.LOGOUT else (previous.device_unlinked_at if previous else None)
    )
    hold = old_hold if kept else None
    if decision.action is Action.HOLD:
        hold = HealingHold(
            reason=Reason.RESTART_STORM,
            since=now,
            generation=health.generation,
            restarted_at=health.restarted_at,
        )
    return HealingState(times, failures, unlinked, hold)


def carried(
    previous: WhatsAppSessionStatus | None, generation: int, restarted_at: str | None
) -> HealingState:
    """The memory of a reconcile that did not poll WAHA: unchanged, except a hold someone lifted."""
    hold = previous.healing_hold if previous else None
    kept = hold_applies(hold, generation, restarted_at)
    return HealingState(
        restart_times=list(previous.restart_times or []) if previous and (kept or hold is None) else [],
        waha_poll_failures=(previous.waha_poll_failures if previous else None) or 0,
        device_unlinked_at=previous.device_unlinked_at if previous else None,
        hold=hold if kept else None,
    )


def annotate(
    status: WhatsAppSessionStatus, previous: WhatsAppSessionStatus | None, state: HealingState, now: datetime
) -> WhatsAppSessionStatus:
    """The status with phaseSince, the healing memory, `DeviceUnlinked` and the Degraded condition."""
    same_phase = previous is not None and previous.phase is status.phase and previous.phase_since is not None
    unlinked = None if status.phase is Phase.CONNECTED else state.device_unlinked_at
    conditions = [
        _unlinked(c, status) if unlinked and c.type == ConditionType.CONNECTED else c
        for c in status.conditions
    ]
    degraded = _degraded(state.hold, previous, status.observed_generation, now)
    return status.model_copy(
        update={
            "phase_since": previous.phase_since if same_phase and previous else now,
            "restart_times": state.restart_times or None,
            "waha_poll_failures": state.waha_poll_failures or None,
            "device_unlinked_at": unlinked,
            "healing_hold": state.hold,
            "conditions": conditions + ([degraded] if degraded else []),
        }
    )


def _unlinked(condition: Condition, status: WhatsAppSessionStatus) -> Condition:
    """Connected=False says "re-pair this number" instead of an endless FAILED/ScanQR."""
    if condition.status == "True" or status.phase not in (Phase.SCAN_QR, Phase.FAILED, Phase.STARTING):
        return condition
    return condition.model_copy(update={"reason": Reason.DEVICE_UNLINKED, "message": UNLINKED_MESSAGE})


def _degraded(
    hold: HealingHold | None, previous: WhatsAppSessionStatus | None, generation: int | None, now: datetime
) -> Condition | None:
    """Degraded=True while held; once there, it stays as False (HealingResumed) after a person acts."""
    before = next(
        (c for c in (previous.conditions if previous else []) if c.type == ConditionType.DEGRADED), None
    )
    if hold is None and before is None:
        return None
    status = "True" if hold is not None else "False"
    reason = hold.reason if hold is not None else Reason.HEALING_RESUMED
    message = (
        "Self-healing stopped after a restart storm; change the spec or run `kubectl conectafy "
        "restart` to resume."
        if hold is not None
        else "Self-healing is active again."
    )
    since = before.last_transition_time if before is not None and before.status == status else now
    return Condition(
        type=ConditionType.DEGRADED.value,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=since,
        observed_generation=generation,
    )
