"""Make a session's four children match the spec: server-side apply, skipped when nothing changed.

What exists comes from the watch-fed caches (`cache.Children`); `Ledger` says whether our last write
is still what is there and still what we want, so a steady-state reconcile makes no request at all.
The Secret is the exception to "apply what we build": its keys are generated once, so a Secret the
caches have not seen is created (never overwritten), and later applies only add missing keys. It has
no owner reference: it is the second owner of the Deployment and the Service (its uid, from the cache
or our write), so they outlive a foreground deletion of the session until the logout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from conectafy.kube.children import apply_child, create_child, get_child, patch_child
from conectafy.kube.client import DEPLOYMENTS, PVCS, SECRETS, SERVICES, KubeClient, Resource, decode_secret
from conectafy.kube.errors import Invalid
from conectafy.operator.cache import Children, ChildState, Ledger, is_available
from conectafy.operator.manifests import (
    SessionRef,
    build_deployment,
    build_pvc,
    build_secret,
    build_service,
    child_names,
    derived_secret_data,
    missing_secret_data,
)
from conectafy.settings import OperatorSettings


@dataclass(frozen=True)
class ChildrenOutcome:
    """The Secret's data, whether the Deployment is available, and why the API server rejected a
    child (422) if it did: then the later children were not written."""

    secret_data: dict[str, str]
    available: bool
    invalid: str | None = None
    secret_uid: str | None = None  # the guard owner of the Deployment and the Service


async def _apply(
    kube: KubeClient, ledger: Ledger, resource: Resource, desired: dict[str, Any], cached: ChildState | None
) -> dict[str, Any] | None:
    """Apply unless the cached child is our last write of this very intent; the live object, or None."""
    if ledger.is_current(resource, desired, cached):
        return None
    live = await apply_child(kube, resource, desired)
    ledger.record(resource, desired, live, replaced=cached)
    return live


async def _create_secret(
    kube: KubeClient, ledger: Ledger, ref: SessionRef, derived: dict[str, str]
) -> tuple[dict[str, str], dict[str, Any], bool]:
    """A Secret with fresh (or `derived`) keys, or — when the name is taken (the cache lags, or the user
    made it) — the one that is there, whose keys are never overwritten. Returns its data, the live
    object and whether we created it."""
    fresh = {**missing_secret_data({}), **derived}
    desired = build_secret(ref, fresh)
    created = await create_child(kube, SECRETS, desired)
    if created is not None:
        ledger.record(SECRETS, desired, created)
        return fresh, created, True
    live = await get_child(kube, SECRETS, ref.namespace, child_names(ref.name).secret)
    return decode_secret(live), live or {}, False


async def _disown_secret(
    kube: KubeClient, ledger: Ledger, ref: SessionRef, desired: dict[str, Any], owners: list[dict[str, Any]]
) -> None:
    """Take the session's owner reference off the Secret (an older operator put it there, through
    another field manager, so our apply cannot drop it): deleting the session must not cascade to the
    Secret before the logout. Other owners stay."""
    kept = [owner for owner in owners if owner.get("uid") != ref.uid] or None
    patch = {"metadata": {"ownerReferences": kept}}
    live = await patch_child(kube, SECRETS, ref.namespace, child_names(ref.name).secret, patch)
    ledger.record(SECRETS, desired, live)


def _uid_and_owners(live: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    meta = live.get("metadata") or {}
    return str(meta.get("uid") or ""), list(meta.get("ownerReferences") or [])


async def ensure_secret(
    kube: KubeClient, ledger: Ledger, ref: SessionRef, cached: ChildState | None, master: str | None = None
) -> tuple[dict[str, str], str]:
    """Create the Secret once; later only add missing keys — a key is never regenerated. Returns its
    data and its uid (the Deployment and the Service name it as their guard owner).

    A Secret that exists before the session (a user bringing their own API key) is kept, and never
    owned by the session (`identity.guard_reference`). With a session key `master`, the API and webhook
    keys are the derived ones (the API computes them instead of reading this Secret); they replace
    stored ones, once."""
    derived = derived_secret_data(master, ref) if master else {}
    if cached is not None:
        existing, uid, owners = cached.secret_data, cached.uid, list(cached.owner_references)
    else:
        existing, live, created = await _create_secret(kube, ledger, ref, derived)
        uid, owners = _uid_and_owners(live)
        if created:  # it holds exactly what we would apply now: one request, not two
            return existing, uid
    data = {**existing, **missing_secret_data(existing), **derived}
    desired = build_secret(ref, data)
    applied = await _apply(kube, ledger, SECRETS, desired, cached)
    if applied is not None:
        uid, owners = _uid_and_owners(applied)
    if any(owner.get("uid") == ref.uid for owner in owners):
        await _disown_secret(kube, ledger, ref, desired, owners)
    return data, uid


async def ensure_children(
    kube: KubeClient, ledger: Ledger, ref: SessionRef, cached: Children, settings: OperatorSettings
) -> ChildrenOutcome:
    """Secret, PVC, Deployment, Service, in that order; a 422 stops there and says why."""
    secret_data = cached.secret.secret_data if cached.secret else {}
    secret_uid = cached.secret.uid if cached.secret else None
    try:
        master = settings.session_key_master.get_secret_value() if settings.session_key_master else None
        secret_data, secret_uid = await ensure_secret(kube, ledger, ref, cached.secret, master)
        await _apply(kube, ledger, PVCS, build_pvc(ref, settings), cached.pvc)
        guarded = replace(ref, secret_uid=secret_uid or None)  # the Secret co-owns WAHA's workload
        live = await _apply(kube, ledger, DEPLOYMENTS, build_deployment(guarded, settings), cached.deployment)
        await _apply(kube, ledger, SERVICES, build_service(guarded, settings), cached.service)
    except Invalid as error:
        available = cached.deployment.available if cached.deployment else False
        return ChildrenOutcome(secret_data, available, invalid=str(error), secret_uid=secret_uid)
    available = (
        is_available(live) if live is not None else bool(cached.deployment and cached.deployment.available)
    )
    return ChildrenOutcome(secret_data, available, secret_uid=secret_uid or None)


async def roll_deployment(
    kube: KubeClient, ledger: Ledger, ref: SessionRef, cached: Children, settings: OperatorSettings
) -> None:
    """Apply the Deployment alone (self-healing's pod roll: `ref` carries the new healedAt)."""
    await _apply(kube, ledger, DEPLOYMENTS, build_deployment(ref, settings), cached.deployment)
