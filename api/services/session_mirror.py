"""The one writer of `whatsapp_sessions`: the API's watch of WhatsAppSession resources, projected into rows.

Every replica follows the watch (`on_event`/`on_sync` keep the latest resource of each name, in
memory), but only the leader (`Leadership`) writes: `run` drains the latest state per name into the
database and retries with back-off while the database is away, so an outage delays updates and
deletions, and loses none. A re-list (`on_sync`) reconciles: a session that vanished while the watch
was down is deleted, and so is a row whose resource no longer exists. Writes are conditional on the
resourceVersion (`store.session_projection`), so a stale event — from this watch or from another
replica — never rolls a row back. Each visible change becomes ONE `session` live event.

A resource without a valid owner (label missing, no such user) is still the operator's to reconcile;
here it is logged once, counted in `conectafy_api_sessions_unknown_owner`, and shown to nobody.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from conectafy.api import metrics
from conectafy.kube import Kube, KubeError, NotFound
from conectafy.logs import get_logger
from conectafy.session import WhatsAppSession

from ..store import events as events_store
from ..store import session_projection as store
from ..store.sessions import SessionRow
from .session_projection import ResourceKey, key_of, last_write, ordered_version, owner_of, projection_of
from .session_view import (
    SESSION_DELETED_EVENT,
    SESSION_EVENT,
    deleted_event_data,
    session_event_data,
    visible_change,
)

log = get_logger(__name__)
_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
#: An event to apply: "ADDED" | "MODIFIED" | "DELETED" and the resource as the watch delivered it.
Change = tuple[str, WhatsAppSession]


class SessionMirror:
    """Latest state per session name in memory; the leader projects it into rows."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        namespace: str,
        kube: Kube | None = None,
        check_users: bool = True,
        retry_delay: float = 0.2,
        max_delay: float = 10.0,
    ) -> None:
        self.pool = pool
        self.namespace = namespace
        self.kube = kube  # asked before a re-list removes a row (None: never remove on re-list)
        self.check_users = check_users  # Supabase mode: users live in Supabase, any UUID may be one
        self.retry_delay = retry_delay
        self.max_delay = max_delay
        self._known: dict[str, WhatsAppSession] = {}
        self._pending: dict[str, Change] = {}
        self._reconcile: tuple[bool, int | None] = (False, None)
        self._synced = False  # until the first list arrived, "absent" means "not seen yet"
        self._unknown_owner: set[str] = set()
        self._wake = asyncio.Event()

    # --- fed by the watch (every replica) -----------------------------------------------------------
    async def on_event(self, event_type: str, session: WhatsAppSession) -> None:
        name = session.metadata.name
        if event_type == "DELETED":
            self._known.pop(name, None)
        else:
            self._known[name] = session
        self._queue(name, (event_type, session))

    async def on_sync(self, names: set[str], list_version: str | None) -> None:
        """After a (re-)list: what the list lacks is gone, even if its DELETED event was never seen."""
        for name in set(self._known) - names:
            self._queue(name, ("DELETED", self._known.pop(name)))
        self._reconcile = (True, ordered_version(list_version))
        self._synced = True
        self._wake.set()

    def _queue(self, name: str, change: Change) -> None:
        self._pending[name] = change
        metrics.SESSION_PROJECTION_PENDING.set(len(self._pending))
        self._wake.set()

    # --- the leader's loop ---------------------------------------------------------------------------
    async def run(self) -> None:
        """While leading: everything known is re-applied once (another leader may have missed some),
        then every change as it comes; a database error backs off and retries the same changes."""
        self._pending.update({name: ("MODIFIED", s) for name, s in self._known.items()})
        self._reconcile = (True, self._reconcile[1])
        self._wake.set()
        delay = self.retry_delay
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._drain()
            except _DB_ERRORS as error:
                metrics.SESSION_PROJECTION_WRITES.labels("failed").inc()
                log.warning("session projection failed; retrying", error=str(error), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)
                self._wake.set()
            else:
                delay = self.retry_delay

    async def _drain(self) -> None:
        due, list_version = self._reconcile
        if due and self._synced:
            await store.adopt_legacy_rows(self.pool, namespace=self.namespace)
            await self._remove_absent(list_version)
            self._reconcile = (False, list_version)
        while self._pending:
            name, change = next(iter(self._pending.items()))
            await self.apply(*change)
            if self._pending.get(name) is change:  # a newer change that arrived meanwhile stays queued
                del self._pending[name]
            metrics.SESSION_PROJECTION_PENDING.set(len(self._pending))

    async def _remove_absent(self, list_version: int | None) -> None:
        """Rows of this namespace whose resource the list lacks. A row written after the list (a create
        through another replica) is not in it either, so each candidate is confirmed with one read."""
        rows = await store.rows_in(self.pool, namespace=self.namespace)
        for name, uid, version in rows:
            if name in self._known or name in self._pending:
                continue
            if list_version is not None and version is not None and version > list_version:
                continue
            if await self._still_exists(name):
                continue  # the watch delivers it soon
            async with self.pool.acquire() as conn, conn.transaction():
                key = ResourceKey(self.namespace, name, uid, None, deleting=True)
                await self._delete(conn, key, tombstone=True)

    async def _still_exists(self, name: str) -> bool:
        if self.kube is None:
            return True
        try:
            await self.kube.get_session_object(name)
        except NotFound:
            return False
        except KubeError as error:
            log.warning("cannot confirm a session is gone; keeping its row", session=name, error=str(error))
            return True
        return True

    # --- one change, in one transaction (also called by the sessions service on create/delete) --------
    async def apply(self, event_type: str, session: WhatsAppSession) -> SessionRow | None:
        """Project one resource state; the row as it is now (None: no row for it)."""
        key = key_of(session, self.namespace)
        gone = event_type == "DELETED" or key.deleting
        owner = None if gone else owner_of(session)
        async with self.pool.acquire() as conn, conn.transaction():
            if owner is not None and (not self.check_users or await store.user_exists(conn, user_id=owner)):
                self._owner_found(key.name)
                row = await self._upsert(conn, projection_of(session, key, owner))
                _observe_lag(session)
                return row
            if gone:
                self._owner_found(key.name)  # forgotten: a deleted session is nobody's problem
            else:
                self._owner_missing(key.name, session)
            await self._delete(conn, key, tombstone=gone)
            return None

    async def _upsert(
        self, conn: asyncpg.Connection, projection: store.SessionProjection
    ) -> SessionRow | None:
        result = await store.upsert(conn, projection)
        if result.after is None:
            metrics.SESSION_PROJECTION_WRITES.labels("unchanged").inc()
            return result.current
        metrics.SESSION_PROJECTION_WRITES.labels("changed").inc()
        if result.before is not None and result.before.user_id != result.after.user_id:
            await _emit(conn, result.before.user_id, SESSION_DELETED_EVENT, deleted_event_data(result.before))
        if visible_change(result.before, result.after):
            await _emit(conn, result.after.user_id, SESSION_EVENT, session_event_data(result.after))
        return result.after

    async def _delete(self, conn: asyncpg.Connection, key: ResourceKey, *, tombstone: bool) -> None:
        row = await store.delete(
            conn, namespace=key.namespace, session_name=key.name, uid=key.uid, tombstone=tombstone
        )
        if row is not None:
            metrics.SESSION_PROJECTION_WRITES.labels("deleted").inc()
            await _emit(conn, row.user_id, SESSION_DELETED_EVENT, deleted_event_data(row))
            log.info("session row removed", session=key.name, namespace=key.namespace)

    def _owner_found(self, name: str) -> None:
        if name in self._unknown_owner:
            self._unknown_owner.discard(name)
            metrics.SESSIONS_UNKNOWN_OWNER.set(len(self._unknown_owner))

    def _owner_missing(self, name: str, session: WhatsAppSession) -> None:
        """Logged once per session (not per event), so a bad label is no error loop."""
        if name not in self._unknown_owner:
            self._unknown_owner.add(name)
            metrics.SESSIONS_UNKNOWN_OWNER.set(len(self._unknown_owner))
            log.warning(
                "session has no known owner; not shown in any dashboard",
                session=name,
                owner_label=session.metadata.labels.get("conectafy.io/owner"),
            )


def _observe_lag(session: WhatsAppSession) -> None:
    """Resource change → row: from the resource's newest managedFields time (second resolution)."""
    changed = last_write(session)
    if changed is not None:
        metrics.MIRROR_LAG.observe(max(0.0, (datetime.now(UTC) - changed).total_seconds()))


async def _emit(conn: asyncpg.Connection, user_id: UUID, kind: str, data: dict[str, object]) -> None:
    await events_store.append_event(conn, user_id=user_id, type=kind, data=data)
