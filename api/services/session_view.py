"""What clients see of a session: built from its row alone, the projection of the resource (pure).

The same shape answers `GET /api/sessions` and rides in every `session` live event, so a browser
replaces its copy of a session with what arrives and merges nothing.
"""

from __future__ import annotations

from typing import Any

from conectafy.session import ConditionType

from ..schemas.sessions import SessionPublic
from ..store.sessions import SessionRow

#: Live event types about sessions: `session` carries the whole SessionPublic, `session_deleted` its id.
SESSION_EVENT = "session"
SESSION_DELETED_EVENT = "session_deleted"


def to_public(row: SessionRow) -> SessionPublic:
    return SessionPublic(
        id=row.id,
        name=row.session_name,
        namespace=row.namespace,
        display_name=row.display_name,
        engine=row.engine,
        status=row.status,
        phase=row.phase,
        wa_status=row.wa_status,
        paused=row.paused,
        phone_number=row.phone_number,
        push_name=row.push_name,
        conditions=row.conditions,
        reason=connected_reason(row.conditions),
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_connected_at=row.last_connected_at,
    )


def connected_reason(conditions: list[dict[str, Any]]) -> str | None:
    """Why the session is (not) connected: `DeviceUnlinked` tells the browser to ask for a re-pair."""
    return next((c.get("reason") for c in conditions if c.get("type") == ConditionType.CONNECTED.value), None)


def session_event_data(row: SessionRow) -> dict[str, Any]:
    """`session_id` and `session_name` like every event about a session, and the whole SessionPublic."""
    return {
        "session_id": str(row.id),
        "session_name": row.session_name,
        "session": to_public(row).model_dump(mode="json"),
    }


def deleted_event_data(row: SessionRow) -> dict[str, Any]:
    return {"session_id": str(row.id), "session_name": row.session_name, "namespace": row.namespace}


def visible_change(before: SessionRow | None, after: SessionRow) -> bool:
    """A new resourceVersion alone (an annotation, a nudge) changes nothing a client sees."""
    if before is None:
        return True
    return to_public(before).model_dump(exclude={"updated_at"}) != to_public(after).model_dump(
        exclude={"updated_at"}
    )
