"""Session operations: a user's WhatsApp numbers as WhatsAppSession resources plus their rows.

Ownership is checked twice: the row must belong to the user (else "not found", never "forbidden",
so ids of other tenants cannot be probed), and the resource must carry the user in its
`conectafy.io/owner` label. The resource is the truth for status; the row is the fast index of it.
"""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from conectafy import labels
from conectafy.kube import Conflict, Invalid, Kube, KubeError, NotFound
from conectafy.session import ObjectMeta, WhatsAppSession, WhatsAppSessionSpec

from ..schemas.sessions import SessionCreate, SessionPublic
from ..session_directory import SessionDirectory
from ..store import events as events_store
from ..store import sessions as sessions_store
from ..store.sessions import SessionRow
from .session_mirror import PHASE_STATUS, SESSION_DELETED_EVENT, session_event_data


class SessionServiceError(Exception):
    """Base of the failures a route turns into an HTTP answer; the message is safe to show."""

    status_code = 500


class SessionNotFoundError(SessionServiceError):
    status_code = 404

    def __init__(self) -> None:
        super().__init__("Session not found.")


class QuotaExceeded(SessionServiceError):
    status_code = 403


class SessionNameTaken(SessionServiceError):
    status_code = 409


class SessionRejected(SessionServiceError):
    status_code = 422


class KubernetesUnavailable(SessionServiceError):
    status_code = 503


_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


def resource_name(name: str) -> str:
    """`<name>-<5 random chars>`: unique across tenants without revealing or colliding with others."""
    return f"{name}-{''.join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(5))}"


def build_session(*, name: str, namespace: str, user_id: UUID, data: SessionCreate) -> WhatsAppSession:
    """The resource for a new session (pure): owner in the label and in the immutable spec.owner."""
    return WhatsAppSession(
        metadata=ObjectMeta(name=name, namespace=namespace, labels={labels.OWNER: str(user_id)}),
        spec=WhatsAppSessionSpec(
            engine=data.engine, owner=str(user_id), display_name=data.display_name or data.name
        ),
    )


def to_public(row: SessionRow, resource: WhatsAppSession | None) -> SessionPublic:
    """The row's view, overridden by the resource's live status when it was read."""
    fields: dict[str, Any] = {
        "id": row.id,
        "name": row.session_name,
        "display_name": row.display_name,
        "engine": row.engine,
        "status": row.status,
        "phase": row.phase,
        "phone_number": row.phone_number,
        "push_name": row.push_name,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "last_connected_at": row.last_connected_at,
    }
    if resource is not None:
        fields.update(paused=resource.spec.paused, engine=resource.spec.engine.value)
        if resource.status is not None:
            status = resource.status
            fields.update(
                phase=status.phase.value,
                status=PHASE_STATUS[status.phase],
                wa_status=status.wa_status,
                phone_number=status.phone_number or row.phone_number,
                push_name=status.push_name or row.push_name,
                last_connected_at=status.last_connected_at or row.last_connected_at,
                conditions=[condition.to_k8s() for condition in status.conditions],
            )
    return SessionPublic(**fields)


async def owned_row(pool: asyncpg.Pool, *, user_id: UUID, session_id: UUID) -> SessionRow:
    row = await sessions_store.get_session(pool, user_id=user_id, session_id=session_id)
    if row is None:
        raise SessionNotFoundError()
    return row


async def owned_resource(kube: Kube, *, row: SessionRow) -> WhatsAppSession:
    """The row's resource, only if it is labelled with the same owner (else: not found)."""
    try:
        resource = await kube.get_session(row.session_name)
    except NotFound as error:
        raise SessionNotFoundError() from error
    except KubeError as error:
        raise KubernetesUnavailable(f"Kubernetes is not reachable: {error}") from error
    if resource.metadata.labels.get(labels.OWNER) != str(row.user_id):
        raise SessionNotFoundError()
    return resource


async def create_session(
    pool: asyncpg.Pool, kube: Kube, *, user_id: UUID, data: SessionCreate, quota: int
) -> SessionPublic:
    """Row first (under a per-user lock, so the quota holds under concurrency), then the resource.

    The row exists before the resource so the mirror never sees a resource without its row; if the
    resource cannot be created the row is removed again and nothing is left behind.
    """
    name = resource_name(data.name)
    async with pool.acquire() as conn, conn.transaction():
        await sessions_store.lock_owner(conn, user_id=user_id)
        count = await sessions_store.count_sessions(conn, user_id=user_id)
        if count >= quota:
            raise QuotaExceeded(
                f"Session quota reached: you have {count} of {quota} sessions. Delete one first."
            )
        row = await sessions_store.insert_session(
            conn,
            user_id=user_id,
            session_name=name,
            display_name=data.display_name or data.name,
            engine=data.engine.value,
            webhook_url=None,
        )
    try:
        resource = await kube.create_session(
            build_session(name=name, namespace=kube.namespace, user_id=user_id, data=data)
        )
    except KubeError as error:
        await sessions_store.delete_session(pool, user_id=user_id, session_id=row.id)
        raise _creation_error(error) from error
    return to_public(row, resource)


def _creation_error(error: KubeError) -> SessionServiceError:
    if isinstance(error, Conflict):
        return SessionNameTaken("That session name was just taken; please try again.")
    if isinstance(error, Invalid):
        return SessionRejected(f"Kubernetes rejected the session: {error}")
    return KubernetesUnavailable(f"Kubernetes is not reachable, the session was not created: {error}")


async def get_session(pool: asyncpg.Pool, kube: Kube, *, user_id: UUID, session_id: UUID) -> SessionPublic:
    """Live status from the resource; the row alone when Kubernetes cannot be reached right now."""
    row = await owned_row(pool, user_id=user_id, session_id=session_id)
    try:
        resource = await owned_resource(kube, row=row)
    except KubernetesUnavailable:
        return to_public(row, None)
    return to_public(row, resource)


def _is_owned(resource: WhatsAppSession | None, row: SessionRow) -> bool:
    return resource is not None and resource.metadata.labels.get(labels.OWNER) == str(row.user_id)


async def list_sessions(
    pool: asyncpg.Pool, directory: SessionDirectory, *, user_id: UUID
) -> list[SessionPublic]:
    """Rows, overlaid with each resource from the directory's watch cache: live fields, no Kubernetes call.

    A resource the watch has not delivered yet (or one not labelled with the row's owner) leaves the
    row's view, with `paused`/`wa_status` null, as when Kubernetes cannot be reached.
    """
    public = []
    for row in await sessions_store.list_sessions(pool, user_id=user_id):
        resource = directory.cached_session(row.session_name)
        public.append(to_public(row, resource if _is_owned(resource, row) else None))
    return public


async def delete_session(pool: asyncpg.Pool, kube: Kube, *, user_id: UUID, session_id: UUID) -> None:
    """Resource first (the operator logs WAHA out and frees the pod), then the row and its messages."""
    row = await owned_row(pool, user_id=user_id, session_id=session_id)
    try:
        await owned_resource(kube, row=row)
        await kube.delete_session(row.session_name)
    except SessionNotFoundError:
        pass  # already gone from the cluster: only the row is left to remove
    except KubeError as error:
        raise KubernetesUnavailable(f"Kubernetes is not reachable, nothing was deleted: {error}") from error
    async with pool.acquire() as conn, conn.transaction():
        deleted = await sessions_store.delete_session(conn, user_id=user_id, session_id=session_id)
        if deleted is not None:
            await events_store.append_event(
                conn, user_id=user_id, type=SESSION_DELETED_EVENT, data=session_event_data(deleted)
            )


async def patch_session(
    pool: asyncpg.Pool, kube: Kube, *, user_id: UUID, session_id: UUID, patch: dict[str, Any]
) -> SessionPublic:
    """Stop/start/restart are merge patches of the user's own resource; the operator does the rest."""
    row = await owned_row(pool, user_id=user_id, session_id=session_id)
    await owned_resource(kube, row=row)
    try:
        resource = await kube.patch_session(row.session_name, patch)
    except NotFound as error:
        raise SessionNotFoundError() from error
    except KubeError as error:
        raise KubernetesUnavailable(f"Kubernetes is not reachable: {error}") from error
    return to_public(row, resource)


def paused_patch(paused: bool) -> dict[str, Any]:
    return {"spec": {"paused": paused}}


def restart_patch(now: datetime | None = None) -> dict[str, Any]:
    """A new `restartedAt` rolls the WAHA pod (like `kubectl rollout restart`); the login is kept."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"metadata": {"annotations": {labels.RESTARTED_AT: stamp}}}
