"""SQL of the one writer of `whatsapp_sessions`: the projection of WhatsAppSession resources.

Every write is conditional, so applying events out of order, twice, or from several replicas converges:
- a row moves only to a strictly newer `resource_version` (NULL — a server without integer versions —
  orders nothing and the single leader's last write wins);
- a deleted uid is tombstoned and never comes back; a re-created name (new uid) replaces the old row;
- an unchanged projection writes nothing and returns nothing (no event for a non-change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from conectafy.phase import SessionStatus

from .sessions import COLUMNS, Executor, SessionRow, row_of


@dataclass(frozen=True, slots=True)
class SessionProjection:
    """Everything the row shows of one resource (built by `session_mirror.projection_of`)."""

    namespace: str
    session_name: str
    uid: str | None
    resource_version: int | None
    user_id: Any  # a UUID; `Any` so a label that is no UUID is caught by the caller, not here
    display_name: str | None
    engine: str | None
    phase: str
    status: SessionStatus
    wa_status: str | None
    paused: bool
    phone_number: str | None
    push_name: str | None
    last_connected_at: datetime | None
    container_name: str | None
    container_port: int | None
    conditions: list[dict[str, Any]]


_FIELDS = (
    "namespace", "session_name", "uid", "resource_version", "user_id", "display_name", "engine", "phase",
    "status", "wa_status", "paused", "phone_number", "push_name", "last_connected_at", "container_name",
    "container_port", "conditions",
)  # fmt: skip
_PARAMS = ", ".join(f"${n}" for n in range(1, len(_FIELDS) + 1))
_SET = ", ".join(f"{f} = excluded.{f}" for f in _FIELDS if f not in ("session_name",))
_CHANGED = " OR ".join(f"w.{f} IS DISTINCT FROM excluded.{f}" for f in _FIELDS)

#: A newer version of the same resource (or a re-created one, already made room for) replaces the row.
UPSERT_SQL = f"""
INSERT INTO whatsapp_sessions AS w ({", ".join(_FIELDS)})
SELECT {_PARAMS}
WHERE NOT EXISTS (SELECT 1 FROM session_tombstones t WHERE t.uid = $3)
ON CONFLICT (session_name) DO UPDATE SET {_SET}, updated_at = now()
WHERE (w.namespace IS NULL OR w.namespace = excluded.namespace)
  AND (w.resource_version IS NULL OR excluded.resource_version IS NULL
       OR excluded.resource_version > w.resource_version)
  AND ({_CHANGED})
RETURNING {COLUMNS}
"""


def _args(p: SessionProjection) -> list[Any]:
    return [getattr(p, field) for field in _FIELDS]  # the pool's codec turns `conditions` into jsonb


@dataclass(frozen=True, slots=True)
class Upserted:
    """The row before (None: new) and after the write (None: nothing written), and the row as it is now
    (a concurrent writer may have inserted the same state first)."""

    before: SessionRow | None
    after: SessionRow | None
    current: SessionRow | None


async def upsert(conn: asyncpg.Connection, projection: SessionProjection) -> Upserted:
    """Write the projection (in the caller's transaction) unless it is stale, tombstoned or equal.

    A row of the same name with another uid is an earlier resource of that name: it is removed first
    (with its messages), unless it is the newer one. The old row is locked and returned so the caller
    can tell a visible change from a new resourceVersion alone.
    """
    await _lock(conn, projection.namespace, projection.session_name)
    if projection.uid is not None:
        await _replace_other_uid(conn, projection)
    old = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM whatsapp_sessions WHERE session_name = $1 FOR UPDATE",
        projection.session_name,
    )
    record = await conn.fetchrow(UPSERT_SQL, *_args(projection))
    if record is None:
        record = await conn.fetchrow(
            f"SELECT {COLUMNS} FROM whatsapp_sessions WHERE session_name = $1", projection.session_name
        )
        after = None
    else:
        after = row_of(record)
    return Upserted(row_of(old) if old else None, after, row_of(record) if record else None)


async def _lock(conn: asyncpg.Connection, namespace: str, session_name: str) -> None:
    """One projection of a session at a time (the API's create and the leader's watch may race): ON
    CONFLICT settles only the name's index, a concurrent insert would still trip the uid's."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 10))", f"{namespace}/{session_name}"
    )


async def _replace_other_uid(conn: asyncpg.Connection, p: SessionProjection) -> None:
    await conn.execute(
        """
        WITH gone AS (
            DELETE FROM whatsapp_sessions
            WHERE session_name = $1 AND namespace = $2 AND uid IS NOT NULL AND uid <> $3
              AND (resource_version IS NULL OR $4::bigint IS NULL OR resource_version < $4)
            RETURNING uid, namespace, session_name, resource_version
        )
        INSERT INTO session_tombstones (uid, namespace, session_name, resource_version)
        SELECT uid, namespace, session_name, resource_version FROM gone
        ON CONFLICT (uid) DO NOTHING
        """,
        p.session_name, p.namespace, p.uid, p.resource_version,
    )  # fmt: skip


async def delete(
    conn: asyncpg.Connection, *, namespace: str, session_name: str, uid: str | None, tombstone: bool
) -> SessionRow | None:
    """Drop the row (messages cascade); None if there was none. `tombstone`: the resource is gone for
    good, so its uid never comes back (not so for a session that merely lost its owner label)."""
    await _lock(conn, namespace, session_name)
    if uid is not None and tombstone:
        await conn.execute(
            "INSERT INTO session_tombstones (uid, namespace, session_name) VALUES ($1, $2, $3)"
            " ON CONFLICT (uid) DO NOTHING",
            uid, namespace, session_name,
        )  # fmt: skip
    record = await conn.fetchrow(
        f"DELETE FROM whatsapp_sessions WHERE namespace = $1 AND session_name = $2"
        f" AND ($3::text IS NULL OR uid IS NULL OR uid = $3) RETURNING {COLUMNS}",
        namespace, session_name, uid,
    )  # fmt: skip
    return row_of(record) if record else None


async def rows_in(db: Executor, *, namespace: str) -> list[tuple[str, str | None, int | None]]:
    """Every projected session of a namespace as (name, uid, resourceVersion): what a re-list checks."""
    records = await db.fetch(
        "SELECT session_name, uid, resource_version FROM whatsapp_sessions WHERE namespace = $1", namespace
    )
    return [(r["session_name"], r["uid"], r["resource_version"]) for r in records]


async def adopt_legacy_rows(db: Executor, *, namespace: str) -> int:
    """Rows from before the projection had no namespace; an API serves one namespace, so they are its."""
    result: str = await db.execute(
        "UPDATE whatsapp_sessions SET namespace = $1 WHERE namespace IS NULL", namespace
    )
    return int(result.split()[-1])


async def user_exists(db: Executor, *, user_id: Any) -> bool:
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)", user_id))


async def delete_tombstones_before(db: Executor, *, before: datetime, limit: int) -> int:
    """Retention: tombstones only need to outlive the watch events that could still arrive late."""
    result: str = await db.execute(
        "DELETE FROM session_tombstones WHERE uid IN"
        " (SELECT uid FROM session_tombstones WHERE deleted_at < $1 LIMIT $2)",
        before, limit,
    )  # fmt: skip
    return int(result.split()[-1])
