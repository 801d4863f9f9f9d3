"""CR→row mirroring: the operator writes each WhatsAppSession's status, the API copies it into its row.

The listing endpoints and the data plane read rows (one query for many sessions, no Kubernetes call),
so the row follows the resource: phase → status, phone number, push name, last connection, container.
Every real change is announced to the owner's browsers as a `session` live event; a resource deleted
in the cluster takes its row with it (`session_deleted`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from conectafy.logs import get_logger
from conectafy.operator.identity import child_names
from conectafy.session import ConditionType, Phase, WhatsAppSession, WhatsAppSessionStatus

from .. import metrics
from ..store import events as events_store
from ..store import sessions as sessions_store
from ..store.sessions import SessionMirror, SessionRow, SessionStatus

log = get_logger(__name__)

#: What a browser shows for each phase of the resource.
PHASE_STATUS: dict[Phase, SessionStatus] = {
    Phase.PENDING: "connecting",
    Phase.STARTING: "connecting",
    Phase.SCAN_QR: "connecting",
    Phase.CONNECTED: "connected",
    Phase.FAILED: "error",
    Phase.STOPPED: "disconnected",
}

#: Live event types, named like the data plane's ("session" is also what a status webhook emits).
SESSION_STATUS_EVENT = "session"
SESSION_DELETED_EVENT = "session_deleted"


def mirror_of(session: WhatsAppSession) -> SessionMirror:
    """The row columns a resource implies (pure)."""
    status = session.status or WhatsAppSessionStatus()
    port = urlsplit(status.endpoint).port if status.endpoint else None
    return SessionMirror(
        phase=status.phase.value,
        status=PHASE_STATUS[status.phase],
        phone_number=status.phone_number,
        push_name=status.push_name,
        last_connected_at=status.last_connected_at,
        container_name=child_names(session.metadata.name).deployment if status.endpoint else None,
        container_port=port,
    )


def session_event_data(row: SessionRow, resource: WhatsAppSession | None = None) -> dict[str, Any]:
    """The payload of `session`/`session_deleted` live events: what a session card in the dashboard needs.

    Keys are snake_case like the webhook path's `session` event (`session_id`, `status`, `waha_status`),
    so a browser handles one shape; the resource adds the live `waha_status` and `paused`.
    """
    live = (
        {}
        if resource is None
        else {
            "waha_status": resource.status.wa_status if resource.status else None,
            "paused": resource.spec.paused,
            "reason": connected_reason(resource),
        }
    )
    return {
        "session_id": str(row.id),
        "session_name": row.session_name,
        "display_name": row.display_name,
        "status": row.status,
        "phase": row.phase,
        "phone_number": row.phone_number,
        "push_name": row.push_name,
        "last_connected_at": row.last_connected_at.isoformat() if row.last_connected_at else None,
        **live,
    }


def connected_reason(session: WhatsAppSession) -> str | None:
    """Why the session is (not) connected — `DeviceUnlinked` tells the browser to ask for a re-pair."""
    conditions = session.status.conditions if session.status else []
    return next((c.reason for c in conditions if c.type == ConditionType.CONNECTED), None)


def last_write(session: WhatsAppSession) -> datetime | None:
    """When the resource was last written: the newest `managedFields[].time` (second resolution)."""
    entries = (session.metadata.model_extra or {}).get("managedFields") or []
    times = [entry.get("time") for entry in entries if isinstance(entry, dict)]
    parsed = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times if isinstance(t, str)]
    return max(parsed, default=None)


class RowMirror:
    """A SessionDirectory listener that keeps `whatsapp_sessions` rows in step with the resources."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, event_type: str, session: WhatsAppSession) -> None:
        name = session.metadata.name
        async with self.pool.acquire() as conn, conn.transaction():
            if event_type == "DELETED":
                row = await sessions_store.delete_session_by_name(conn, session_name=name)
                kind, resource = SESSION_DELETED_EVENT, None
            else:
                row = await sessions_store.apply_mirror(conn, session_name=name, mirror=mirror_of(session))
                kind, resource = SESSION_STATUS_EVENT, session
            if row is not None:
                await events_store.append_event(
                    conn, user_id=row.user_id, type=kind, data=session_event_data(row, resource)
                )
        changed = last_write(session)
        if row is not None and changed is not None and event_type != "DELETED":
            metrics.MIRROR_LAG.observe(max(0.0, (datetime.now(UTC) - changed).total_seconds()))
        if row is not None:
            log.info("session mirrored", session=name, kind=kind, status=row.status, phase=row.phase)
