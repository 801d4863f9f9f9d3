"""The row a WhatsAppSession resource implies (pure): who owns it, which version, what it shows.

`resource_version` is opaque by the Kubernetes API conventions; etcd-backed API servers (every real
cluster) give etcd's global modification revision as a decimal integer, which only grows. We order by
it only when it is such an integer, and store NULL otherwise (a server with other versions, e.g. kmock,
which sets none): then nothing is ordered by version and the single leader's latest event wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from conectafy import labels
from conectafy.operator.identity import child_names
from conectafy.phase import STATUS_OF_PHASE, e164
from conectafy.session import WhatsAppSession, WhatsAppSessionStatus

from ..store.session_projection import SessionProjection


@dataclass(frozen=True, slots=True)
class ResourceKey:
    """Which resource an event is about, and at which version."""

    namespace: str
    name: str
    uid: str | None
    resource_version: int | None
    deleting: bool


def key_of(session: WhatsAppSession, namespace: str) -> ResourceKey:
    meta = session.metadata.model_extra or {}
    return ResourceKey(
        namespace=session.metadata.namespace or namespace,
        name=session.metadata.name,
        uid=meta.get("uid") or None,
        resource_version=ordered_version(meta.get("resourceVersion")),
        deleting=bool(meta.get("deletionTimestamp")),
    )


def ordered_version(resource_version: Any) -> int | None:
    """An etcd revision as an integer; None for anything else (which then orders nothing)."""
    if isinstance(resource_version, str) and resource_version.isdigit() and len(resource_version) < 19:
        return int(resource_version)
    return None


def owner_of(session: WhatsAppSession) -> UUID | None:
    """The user in the `conectafy.io/owner` label; None when it is missing or no user id at all."""
    owner = session.metadata.labels.get(labels.OWNER)
    try:
        return UUID(owner) if owner else None
    except ValueError:
        return None


def projection_of(session: WhatsAppSession, key: ResourceKey, owner: UUID) -> SessionProjection:
    """Everything the row shows comes from the resource: spec for the card, status for its state."""
    status = session.status or WhatsAppSessionStatus()
    port = urlsplit(status.endpoint).port if status.endpoint else None
    return SessionProjection(
        namespace=key.namespace,
        session_name=key.name,
        uid=key.uid,
        resource_version=key.resource_version,
        user_id=owner,
        display_name=session.spec.display_name or key.name,
        engine=session.spec.engine.value,
        phase=status.phase.value,
        status=STATUS_OF_PHASE[status.phase],
        wa_status=status.wa_status,
        paused=session.spec.paused,
        phone_number=e164(status.phone_number),
        push_name=status.push_name,
        last_connected_at=status.last_connected_at,
        container_name=child_names(key.name).deployment if status.endpoint else None,
        container_port=port,
        conditions=[condition.to_k8s() for condition in status.conditions],
    )


def last_write(session: WhatsAppSession) -> datetime | None:
    """When the resource was last written: the newest `managedFields[].time` (second resolution)."""
    entries = (session.metadata.model_extra or {}).get("managedFields") or []
    times = [entry.get("time") for entry in entries if isinstance(entry, dict)]
    parsed = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times if isinstance(t, str)]
    return max(parsed, default=None)
