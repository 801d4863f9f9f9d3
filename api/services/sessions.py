"""Session operations: a user's WhatsApp numbers as WhatsAppSession resources plus their rows.

Ownership is checked twice: the row must belong to the user (else "not found", never "forbidden",
so ids of other tenants cannot be probed), and the resource must carry the user in its
`conectafy.io/owner` label. The resource is the truth; the row is its projection, written only through
`SessionMirror.apply` (the watch, and here right after a write so the answer is current).
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
from ..store import sessions as sessions_store
from ..store.sessions import SessionRow
from .session_mirror import SessionMirror
from .session_view import to_public


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
    pool: asyncpg.Pool, kube: Kube, mirror: SessionMirror, *, user_id: UUID, data: SessionCreate, quota: int
) -> SessionPublic:
    """The resource, then its row through the projection, under a per-user lock held until both exist,
    so two requests cannot both pass the quota. The watch would write the same row a moment later;
    projecting the created resource now lets the answer carry the row's id."""
    name = resource_name(data.name)
    async with pool.acquire() as conn, conn.transaction():
        await sessions_store.lock_owner(conn, user_id=user_id)
        count = await sessions_store.count_sessions(conn, user_id=user_id)
        if count >= quota:
            raise QuotaExceeded(
                f"Session quota reached: you have {count} of {quota} sessions. Delete one first."
            )
        try:
            resource = await kube.create_session(
                build_session(name=name, namespace=kube.namespace, user_id=user_id, data=data)
            )
        except KubeError as error:
            raise _creation_error(error) from error
        row = await mirror.apply("ADDED", resource)  # still under the lock: the next count sees it
    if row is None:  # the owner vanished in between (account deleted): nothing to show
        raise SessionNotFoundError()
    return to_public(row)


def _creation_error(error: KubeError) -> SessionServiceError:
    if isinstance(error, Conflict):
        return SessionNameTaken("That session name was just taken; please try again.")
    if isinstance(error, Invalid):
        return SessionRejected(f"Kubernetes rejected the session: {error}")
    return KubernetesUnavailable(f"Kubernetes is not reachable, the session was not created: {error}")


async def get_session(pool: asyncpg.Pool, *, user_id: UUID, session_id: UUID) -> SessionPublic:
    """The row: the projection of the resource, as fresh as the API's watch."""
    return to_public(await owned_row(pool, user_id=user_id, session_id=session_id))


async def list_sessions(pool: asyncpg.Pool, *, user_id: UUID) -> list[SessionPublic]:
    """One query; kubectl-created sessions with this owner's label are here like any other."""
    return [to_public(row) for row in await sessions_store.list_sessions(pool, user_id=user_id)]


async def delete_session(
    pool: asyncpg.Pool, kube: Kube, mirror: SessionMirror, *, user_id: UUID, session_id: UUID
) -> None:
    """Delete the resource (the operator logs WAHA out and frees the pod); the projection then drops
    the row and its messages — now, from the deletion's answer, rather than after the finalizer."""
    row = await owned_row(pool, user_id=user_id, session_id=session_id)
    try:
        resource = await owned_resource(kube, row=row)
        await kube.delete_session(row.session_name)
    except SessionNotFoundError:
        resource = None  # already gone from the cluster: the projection removes the row
    except KubeError as error:
        raise KubernetesUnavailable(f"Kubernetes is not reachable, nothing was deleted: {error}") from error
    await mirror.apply("DELETED", resource or _gone(row))


def _gone(row: SessionRow) -> WhatsAppSession:
    """The last known identity of a resource that is already gone (for the projection's delete)."""
    meta = ObjectMeta.model_validate({"name": row.session_name, "namespace": row.namespace, "uid": row.uid})
    return WhatsAppSession(metadata=meta, spec=WhatsAppSessionSpec())


async def patch_session(
    pool: asyncpg.Pool,
    kube: Kube,
    mirror: SessionMirror,
    *,
    user_id: UUID,
    session_id: UUID,
    patch: dict[str, Any],
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
    return to_public(await mirror.apply("MODIFIED", resource) or row)


def paused_patch(paused: bool) -> dict[str, Any]:
    return {"spec": {"paused": paused}}


def restart_patch(now: datetime | None = None) -> dict[str, Any]:
    """A new `restartedAt` rolls the WAHA pod (like `kubectl rollout restart`); the login is kept."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"metadata": {"annotations": {labels.RESTARTED_AT: stamp}}}
