"""Self-healing at the edge: act on `healing.decide`, post its Event, count it (the I/O half).

The decisions themselves are pure (`healing`); this module only restarts WAHA's session, rolls the
pod, logs out, and tells people about it — one Kubernetes Event and one metric per decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from conectafy.operator import healing, metrics, waha_sync
from conectafy.operator.healing import Action, Decision, HealingState, Health, Policy
from conectafy.operator.manifests import SessionRef
from conectafy.operator.status import Reason, Transition
from conectafy.session import WhatsAppSessionStatus
from conectafy.waha.client import WahaClient

_EVENT_REASON = {
    Action.RESTART_SESSION: Reason.RESTARTING,
    Action.RESTART_POD: Reason.POD_RESTARTED,
    Action.LOGOUT: Reason.LOGGED_OUT,
}


@dataclass(frozen=True)
class Healed:
    """What healing did this time: the decision, WAHA as it is now, the status memory to keep."""

    decision: Decision
    view: waha_sync.WahaView
    state: HealingState


def stamp(now: datetime) -> str:
    """The form of `conectafy.io/healedAt` (RFC 3339, seconds)."""
    return now.isoformat(timespec="seconds").replace("+00:00", "Z")


#: Rolls the WAHA pod: re-applies the Deployment with a new `conectafy.io/healedAt` pod-template
#: annotation, through the operator's own server-side apply (reconcile binds it), so the next apply
#: keeps it instead of undoing it.
RollPod = Callable[[datetime], Awaitable[None]]


async def _act(client: WahaClient, roll_pod: RollPod, decision: Decision, now: datetime) -> str | None:
    """Carry the decision out; the error text when WAHA refused it."""
    if decision.action is Action.RESTART_SESSION:
        return await waha_sync.restart_session(client)
    if decision.action is Action.LOGOUT:
        return await waha_sync.logout_with(client)
    if decision.action is Action.RESTART_POD:
        await roll_pod(now)
    return None


async def heal_session(
    client: WahaClient,
    roll_pod: RollPod,
    view: waha_sync.WahaView,
    health: Health,
    policy: Policy,
    events: list[Transition],
) -> Healed:
    """Decide, act, announce (an Event appended to `events`); WAHA is re-read after a restart or
    logout so the status is current."""
    decision = healing.decide(health, policy)
    state = healing.next_state(health, decision, policy)
    if decision.action is Action.NONE or decision.cause is None:
        return Healed(decision, view, state)
    error = await _act(client, roll_pod, decision, health.now)
    metrics.HEALING_DECISIONS.labels(decision.action.value, decision.cause.value).inc()
    if decision.restarts:
        metrics.RESTARTS.labels(decision.cause.value).inc()
    if decision.action in _EVENT_REASON:  # a hold is announced by its Degraded condition's Event
        message = decision.message + (f" It failed: {error}" if error else "")
        events.append(Transition("Warning", _EVENT_REASON[decision.action], message))
    if decision.action in (Action.RESTART_SESSION, Action.LOGOUT) and error is None:
        view = await waha_sync.read_session(client)
    return Healed(decision, view, state)


def health_of(
    ref: SessionRef,
    view: waha_sync.WahaView,
    previous: WhatsAppSessionStatus | None,
    *,
    now: datetime,
    failed_restart_due: bool,
) -> Health:
    return Health(
        now=now,
        generation=ref.generation,
        restarted_at=ref.restarted_at,
        waha_status=view.status,
        linked=view.me_id is not None,
        failed_restart_due=failed_restart_due,
        previous=previous,
    )
