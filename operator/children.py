"""Make a session's four children match the spec: server-side apply, skipped when nothing changed.

What exists comes from the watch-fed caches (`cache.Children`); `Ledger` says whether our last write
is still what is there and still what we want, so a steady-state reconcile makes no request at all.
The Secret is the exception to "apply what we build": its keys are generated once, so a Secret the
caches have not seen is created (never overwritten), and later applies only add missing keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conectafy.kube.children import apply_child, create_child, get_child
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


async def _apply(
    kube: KubeClient, ledger: Ledger, resource: Resource, desired: dict[str, Any], cached: ChildState | None
) -> dict[str, Any] | None:
    """Apply unless the cached child is our last write of this very intent; the live object, or None."""
    if ledger.is_current(resource, desired, cached):
        return None
    live = await apply_child(kube, resource, desired)
    ledger.record(resource, desired, live)
    return live


async def ensure_secret(
    kube: KubeClient, ledger: Ledger, ref: SessionRef, cached: ChildState | None, master: str | None = None
) -> dict[str, str]:
    """Create the Secret once; later only add missing keys — a key is never regenerated.

    A Secret that exists before the session (a user bringing their own API key) is kept and adopted.
    With a session key `master`, the API and webhook keys are the derived ones (the API computes them
    instead of reading this Secret); they replace stored ones, once."""
    derived = derived_secret_data(master, ref) if master else {}
    if cached is not None:
        existing = cached.secret_data
    else:
        fresh = {**missing_secret_data({}), **derived}
        desired = build_secret(ref, fresh)
        created = await create_child(kube, SECRETS, desired)
        if created is not None:
            ledger.record(SECRETS, desired, created)
            return fresh
        # Already there (the cache lags, or the user made it): read it, never overwrite its keys.
        existing = decode_secret(await get_child(kube, SECRETS, ref.namespace, child_names(ref.name).secret))
    data = {**existing, **missing_secret_data(existing), **derived}
    await _apply(kube, ledger, SECRETS, build_secret(ref, data), cached)
    return data


async def ensure_children(
    kube: KubeClient, ledger: Ledger, ref: SessionRef, cached: Children, settings: OperatorSettings
) -> ChildrenOutcome:
    """Secret, PVC, Deployment, Service, in that order; a 422 stops there and says why."""
    secret_data = cached.secret.secret_data if cached.secret else {}
    try:
        master = settings.session_key_master.get_secret_value() if settings.session_key_master else None
        secret_data = await ensure_secret(kube, ledger, ref, cached.secret, master)
        await _apply(kube, ledger, PVCS, build_pvc(ref, settings), cached.pvc)
        live = await _apply(kube, ledger, DEPLOYMENTS, build_deployment(ref, settings), cached.deployment)
        await _apply(kube, ledger, SERVICES, build_service(ref, settings), cached.service)
    except Invalid as error:
        available = cached.deployment.available if cached.deployment else False
        return ChildrenOutcome(secret_data, available, invalid=str(error))
    available = (
        is_available(live) if live is not None else bool(cached.deployment and cached.deployment.available)
    )
    return ChildrenOutcome(secret_data, available)
