"""Level-based reconciliation of one WhatsAppSession: make the children match, then observe.

Every path (create, resume, update, annotation nudges, the timer, a child's watch event) calls
`reconcile_session` under the session's guard: it never trusts what changed, only what is. Children
come from the caches and are applied through `children`, WAHA is read through `waha_sync`, and the
next status and the Events that announce it come from the pure `status` module.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from conectafy.kube.client import KubeClient
from conectafy.operator import healer, healing, waha_sync
from conectafy.operator.cache import Children, Ledger
from conectafy.operator.children import ChildrenOutcome, ensure_children, roll_deployment
from conectafy.operator.manifests import API_KEY, SessionRef, image_for, waha_base_url
from conectafy.operator.status import (
    Observation,
    Reason,
    Transition,
    build_status,
    failed_restart_delay,
    phone_from_me_id,
    transitions,
)
from conectafy.session import ConditionType, Phase, WhatsAppSessionStatus
from conectafy.settings import OperatorSettings
from conectafy.waha.client import WahaClient
from conectafy.waha.status import WahaStatus


@dataclass(frozen=True)
class Clients:
    """What a reconcile talks through: the shared Kubernetes client, its apply ledger, WAHA clients."""

    kube: KubeClient
    ledger: Ledger
    waha: waha_sync.WahaClients


@dataclass(frozen=True)
class Outcome:
    """The next status, whether WAHA was read, and the Events to post (one per transition)."""

    status: WhatsAppSessionStatus
    waha_read: bool
    events: list[Transition] = field(default_factory=list)


def _previous_view(previous: WhatsAppSessionStatus | None) -> waha_sync.WahaView:
    """Between polls the last observed WAHA state stands (the status must not flap to Unknown)."""
    if previous is None or previous.wa_status is None:
        return waha_sync.WahaView()
    return waha_sync.WahaView(status=WahaStatus(previous.wa_status))


async def _heal(
    clients: Clients,
    ref: SessionRef,
    client: WahaClient,
    view: waha_sync.WahaView,
    previous: WhatsAppSessionStatus | None,
    restarts: _Restarts,
    settings: OperatorSettings,
    rolled: _PodRoll,
) -> tuple[waha_sync.WahaView, _Restarts, healing.HealingState]:
    """Self-healing (operator/healing.py); a FAILED restart also moves the backoff counters."""
    health = healer.health_of(ref, view, previous, now=restarts.now, failed_restart_due=restarts.due)
    healed = await healer.heal_session(
        client, rolled.roll, view, health, healing.Policy.from_settings(settings), rolled.events
    )
    if healed.decision.cause is healing.Cause.FAILED and healed.decision.restarts:
        restarts = _Restarts(count=restarts.count + 1, last=restarts.now, due=False, now=restarts.now)
    elif healed.decision.action is healing.Action.LOGOUT:
        restarts = _Restarts(count=0, last=restarts.last, due=True, now=restarts.now)
    return healed.view, restarts, healed.state


@dataclass
class _PodRoll:
    """Self-healing's pod roll, bound to this reconcile: re-apply the Deployment (our field manager)
    with a new `healedAt`, and remember when, for status.podRestartedAt."""

    clients: Clients
    ref: SessionRef
    cached: Children
    children: ChildrenOutcome
    settings: OperatorSettings
    events: list[Transition]
    at: datetime | None = None

    async def roll(self, now: datetime) -> None:
        ref = replace(self.ref, healed_at=healer.stamp(now), secret_uid=self.children.secret_uid)
        await roll_deployment(self.clients.kube, self.clients.ledger, ref, self.cached, self.settings)
        self.at = now


@dataclass(frozen=True)
class _Restarts:
    """The FAILED-restart backoff state kept in status.failureCount / status.lastRestartAt."""

    count: int
    last: datetime | None
    due: bool
    now: datetime


def _restarts(previous: WhatsAppSessionStatus | None, settings: OperatorSettings, now: datetime) -> _Restarts:
    count = (previous.failure_count if previous else None) or 0
    last = previous.last_restart_at if previous else None
    delay = failed_restart_delay(
        count, settings.failed_restart_backoff_base, settings.failed_restart_backoff_max
    )
    due = last is None or now >= last + timedelta(seconds=delay)
    return _Restarts(count=count, last=last, due=due, now=now)


async def _act_on_waha(client: WahaClient, view: waha_sync.WahaView) -> waha_sync.WahaView:
    """STOPPED and not paused → start (everything else that needs acting on is self-healing's)."""
    if view.status is WahaStatus.STOPPED:
        error = await waha_sync.start_session(client)
        if error is None:
            return await waha_sync.read_session(client)
        return replace(view, error=error)
    return view


def with_healed_at(ref: SessionRef, previous: WhatsAppSessionStatus | None) -> SessionRef:
    """The ref every apply builds from: the last pod roll of self-healing stays on the pod template."""
    rolled = previous.pod_restarted_at if previous else None
    return replace(ref, healed_at=healer.stamp(rolled) if rolled else None)


def rejected_this_generation(ref: SessionRef, previous: WhatsAppSessionStatus | None) -> bool:
    """The API server refused this very spec (422) before: writing it again would only fail again."""
    if previous is None or previous.observed_generation != ref.generation:
        return False
    ready = next((c for c in previous.conditions if c.type == ConditionType.READY), None)
    return ready is not None and ready.reason == Reason.INVALID_SPEC


async def reconcile_session(
    clients: Clients,
    ref: SessionRef,
    previous: WhatsAppSessionStatus | None,
    cached: Children,
    settings: OperatorSettings,
    *,
    poll_waha: bool,
    now: datetime,
) -> Outcome:
    """Children first, then the workload and WAHA as they are; one Event per transition."""
    if previous is not None and rejected_this_generation(ref, previous):
        return Outcome(status=previous, waha_read=False)
    pod_restarted_at = previous.pod_restarted_at if previous else None
    ref = with_healed_at(ref, previous)
    children = await ensure_children(clients.kube, clients.ledger, ref, cached, settings)
    endpoint = waha_sync.WahaEndpoint(
        waha_base_url(ref, settings), children.secret_data.get(API_KEY, ""), settings.waha_request_timeout
    )
    events: list[Transition] = []
    heal_state = healing.carried(previous, ref.generation, ref.restarted_at)
    rolled = _PodRoll(clients, ref, cached, children, settings, events, at=pod_restarted_at)
    view, restarts, waha_read = waha_sync.WahaView(), _restarts(previous, settings, now), False
    if children.available and not ref.spec.paused and children.invalid is None:
        was_available = previous is not None and _condition_true(previous, ConditionType.READY)
        if poll_waha or not was_available:
            client = await clients.waha.client(ref.uid, endpoint)
            view, waha_read = await waha_sync.read_session(client), True
            view = await _act_on_waha(client, view)
            view, restarts, heal_state = await _heal(
                clients, ref, client, view, previous, restarts, settings, rolled
            )
        else:
            view = _previous_view(previous)
    observation = Observation(
        generation=ref.generation,
        paused=ref.spec.paused,
        workload_exists=True,
        workload_available=children.available,
        waha_status=view.status,
        phone_number=phone_from_me_id(view.me_id),
        push_name=view.push_name,
        endpoint=endpoint.base_url,
        image=image_for(ref.spec, settings),
        waha_error=view.error,
        invalid_spec=children.invalid,
    )
    status = _with_restarts(build_status(observation, previous, now), restarts)
    status = healing.annotate(status, previous, heal_state, now)
    status = status.model_copy(update={"pod_restarted_at": rolled.at})
    return Outcome(status=status, waha_read=waha_read, events=[*events, *transitions(previous, status)])


def _with_restarts(status: WhatsAppSessionStatus, restarts: _Restarts) -> WhatsAppSessionStatus:
    """Record the backoff counters; a connection resets the count (build_status cleared it)."""
    count = None if status.phase is Phase.CONNECTED else (restarts.count or None)
    return status.model_copy(update={"failure_count": count, "last_restart_at": restarts.last})


def _condition_true(status: WhatsAppSessionStatus, kind: str) -> bool:
    return any(condition.type == kind and condition.status == "True" for condition in status.conditions)


def status_patch(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """A merge patch that also clears fields that no longer apply (e.g. waStatus when paused)."""
    return {**{key: None for key in current if key not in desired and current[key] is not None}, **desired}
