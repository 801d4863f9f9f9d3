"""Level-based reconciliation of one WhatsAppSession: make the children match, then observe.

Every handler (create, resume, update, annotation nudges, the timer) calls `reconcile_session`:
it never trusts what changed, only what is. Children are created or patched through `kube`, WAHA is
read through `waha_sync`, and the next status comes from the pure `status` module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from conectafy.operator import healer, healing, waha_sync
from conectafy.operator.kube import PVCS, SECRETS, EventTarget, Kube
from conectafy.operator.manifests import (
    API_KEY,
    SessionRef,
    build_deployment,
    build_pvc,
    build_secret,
    build_service,
    child_names,
    decode_secret_data,
    image_for,
    is_drifted,
    missing_secret_data,
    waha_base_url,
)
from conectafy.operator.status import (
    WARNING_REASONS,
    Observation,
    build_status,
    failed_restart_delay,
    phone_from_me_id,
    transitions,
)
from conectafy.session import API_VERSION, KIND, Phase, WhatsAppSessionStatus
from conectafy.settings import OperatorSettings
from conectafy.waha.status import WahaStatus


@dataclass(frozen=True)
class Outcome:
    """The status to write (camelCase, for `patch.status`) and whether WAHA was read."""

    status: dict[str, Any]
    waha_read: bool


def event_target(ref: SessionRef) -> EventTarget:
    return EventTarget(API_VERSION, KIND, ref.namespace, ref.name, ref.uid)


async def ensure_secret(kube: Kube, ref: SessionRef) -> dict[str, str]:
    """Create the Secret once; later only add missing keys (and adopt it) — a key is never regenerated.

    A Secret that exists before the session (a user bringing their own API key) is kept and adopted.
    """
    names = child_names(ref.name)
    live = await kube.get_secret(ref.namespace, names.secret)
    existing = decode_secret_data(live.get("data")) if live else {}
    data = {**existing, **missing_secret_data(existing)}
    desired = build_secret(ref, data)
    if live is None:
        created = await kube.create_object(SECRETS, desired)
        if created is None:  # a concurrent reconcile won the race: use what it stored
            return await ensure_secret(kube, ref)
        return data
    if is_drifted(desired, live):
        await kube.patch_secret(ref.namespace, names.secret, desired)
    return data


def is_available(deployment: dict[str, Any] | None) -> bool:
    """Available = at least one ready replica that the Deployment controller counts as available."""
    if deployment is None:
        return False
    wanted = deployment.get("spec", {}).get("replicas", 1)
    available = deployment.get("status", {}).get("availableReplicas") or 0
    return bool(wanted) and available >= 1


async def ensure_pvc(kube: Kube, ref: SessionRef, settings: OperatorSettings) -> None:
    """The claim; when `retainOnDelete` turns true later, our owner reference is taken off it (a merge
    patch only adds what is missing, so releasing needs its own write) and GC will leave it alone."""
    applied = await kube.apply_pvc(build_pvc(ref, settings), is_drifted)
    owners = applied.live.get("metadata", {}).get("ownerReferences") or []
    if ref.spec.storage.retain_on_delete and any(owner.get("uid") == ref.uid for owner in owners):
        kept = [owner for owner in owners if owner.get("uid") != ref.uid] or None
        await kube.patch_object(
            PVCS, ref.namespace, child_names(ref.name).pvc, {"metadata": {"ownerReferences": kept}}
        )


async def ensure_children(
    kube: Kube, ref: SessionRef, settings: OperatorSettings
) -> tuple[dict[str, str], dict[str, Any]]:
    """Secret, PVC, Deployment, Service; returns the Secret's data and the live Deployment."""
    secret_data = await ensure_secret(kube, ref)
    await ensure_pvc(kube, ref, settings)
    deployment = await kube.apply_deployment(build_deployment(ref, settings), is_drifted)
    await kube.apply_service(build_service(ref, settings), is_drifted)
    return secret_data, deployment.live


def _previous_view(previous: WhatsAppSessionStatus | None) -> waha_sync.WahaView:
    """Between polls the last observed WAHA state stands (the status must not flap to Unknown)."""
    if previous is None or previous.wa_status is None:
        return waha_sync.WahaView()
    return waha_sync.WahaView(status=WahaStatus(previous.wa_status))


async def _act_on_waha(
    endpoint: waha_sync.WahaEndpoint, view: waha_sync.WahaView
) -> waha_sync.WahaView:
    """STOPPED and not paused → start (everything else that needs acting on is self-healing's)."""
    if view.status is WahaStatus.STOPPED:
        error = await waha_sync.start_session(endpoint)
        if error is None:
            return await waha_sync.read_session(endpoint)
        return replace(view, error=error)
    return view


async def _heal(
    kube: Kube,
    ref: SessionRef,
    endpoint: waha_sync.WahaEndpoint,
    view: waha_sync.WahaView,
    previous: WhatsAppSessionStatus | None,
    restarts: _Restarts,
    settings: OperatorSettings,
) -> tuple[waha_sync.WahaView, _Restarts, healing.HealingState]:
    """Self-healing (operator/healing.py); a FAILED restart also moves the backoff counters."""
    health = healer.health_of(ref, view, previous, now=restarts.now, failed_restart_due=restarts.due)
    healed = await healer.heal_session(
        kube, event_target(ref), ref, endpoint, view, health, healing.Policy.from_settings(settings)
    )
    if healed.decision.cause is healing.Cause.FAILED and healed.decision.restarts:
        restarts = _Restarts(count=restarts.count + 1, last=restarts.now, due=False, now=restarts.now)
    elif healed.decision.action is healing.Action.LOGOUT:
        restarts = _Restarts(count=0, last=restarts.last, due=True, now=restarts.now)
    return healed.view, restarts, healed.state


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


async def reconcile_session(
    kube: Kube,
    ref: SessionRef,
    previous: WhatsAppSessionStatus | None,
    settings: OperatorSettings,
    *,
    poll_waha: bool,
    now: datetime,
) -> Outcome:
    """Children first, then the workload and WAHA as they are; post one Event per transition."""
    secret_data, deployment = await ensure_children(kube, ref, settings)
    available = is_available(deployment)
    endpoint = waha_sync.WahaEndpoint(
        waha_base_url(ref, settings), secret_data.get(API_KEY, ""), settings.waha_request_timeout
    )
    view, restarts = waha_sync.WahaView(), _restarts(previous, settings, now)
    waha_read = False
    heal_state = healing.carried(previous, ref.generation, ref.restarted_at)
    if available and not ref.spec.paused:
        was_available = previous is not None and _condition_true(previous, "Ready")
        if poll_waha or not was_available:
            view, waha_read = await waha_sync.read_session(endpoint), True
            view = await _act_on_waha(endpoint, view)
            view, restarts, heal_state = await _heal(kube, ref, endpoint, view, previous, restarts, settings)
        else:
            view = _previous_view(previous)
    observation = Observation(
        generation=ref.generation,
        paused=ref.spec.paused,
        workload_exists=True,
        workload_available=available,
        waha_status=view.status,
        phone_number=phone_from_me_id(view.me_id),
        push_name=view.push_name,
        endpoint=endpoint.base_url,
        image=image_for(ref.spec, settings),
        waha_error=view.error,
    )
    status = _with_restarts(build_status(observation, previous, now), restarts)
    status = healing.annotate(status, previous, heal_state, now)
    await _announce(kube, ref, previous, status)
    return Outcome(status=status.to_k8s(), waha_read=waha_read)


async def _announce(
    kube: Kube, ref: SessionRef, previous: WhatsAppSessionStatus | None, status: WhatsAppSessionStatus
) -> None:
    """One Kubernetes Event per transition, so `kubectl describe wa` tells the session's story."""
    for transition in transitions(previous, status):
        warning = transition.type == "Warning" or transition.reason in WARNING_REASONS
        await kube.post_event(event_target(ref), transition.reason, transition.message, warning=warning)


def _with_restarts(status: WhatsAppSessionStatus, restarts: _Restarts) -> WhatsAppSessionStatus:
    """Record the backoff counters; a connection resets the count (build_status cleared it)."""
    count = None if status.phase is Phase.CONNECTED else (restarts.count or None)
    return status.model_copy(update={"failure_count": count, "last_restart_at": restarts.last})


def _condition_true(status: WhatsAppSessionStatus, kind: str) -> bool:
    return any(condition.type == kind and condition.status == "True" for condition in status.conditions)
