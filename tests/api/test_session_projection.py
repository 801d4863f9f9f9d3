"""The projection's writes on real PostgreSQL: version order, tombstones, re-list reconciliation and
database outages. Events are applied the way a lagging watch or a second replica would deliver them."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import kmock
import pytest

from conectafy.api.services.session_mirror import SessionMirror
from conectafy.kube import Kube
from conectafy.waha.status import WahaStatus
from tests.api.dataplane import make_user_id
from tests.support.kube import eventually, prepare_kmock
from tests.support.sessions import NAMESPACE, connected_status, operator_status, session_resource

NAME = "support-abcde"


@pytest.fixture
async def owner(db_pool: asyncpg.Pool) -> uuid.UUID:
    return await make_user_id(db_pool)


async def _phase(pool: asyncpg.Pool) -> list[tuple[str, str | None, int | None]]:
    rows = await pool.fetch("SELECT session_name, phase, resource_version FROM whatsapp_sessions")
    return [(r["session_name"], r["phase"], r["resource_version"]) for r in rows]


def _names_are(pool: asyncpg.Pool, names: list[str]) -> Any:
    async def check() -> None:
        assert [row[0] for row in await _phase(pool)] == names

    return check


async def test_a_stale_event_never_rolls_a_row_back(db_pool: asyncpg.Pool, owner: uuid.UUID) -> None:
    """A lagging replica applies Connected (rv 12) and then ScanQR (rv 11): the row stays Connected."""
    mirror = SessionMirror(db_pool, namespace=NAMESPACE)
    uid = str(uuid.uuid4())
    scan = session_resource(
        NAME, owner=owner, uid=uid, resource_version=11, status=operator_status(WahaStatus.SCAN_QR_CODE)
    )
    connected = session_resource(NAME, owner=owner, uid=uid, resource_version=12, status=connected_status())
    await mirror.apply("MODIFIED", connected)
    await mirror.apply("MODIFIED", scan)
    assert await _phase(db_pool) == [(NAME, "Connected", 12)]


async def test_a_deleted_uid_never_comes_back(db_pool: asyncpg.Pool, owner: uuid.UUID) -> None:
    mirror = SessionMirror(db_pool, namespace=NAMESPACE)
    uid = str(uuid.uuid4())
    resource = session_resource(NAME, owner=owner, uid=uid, resource_version=5, status=connected_status())
    await mirror.apply("ADDED", resource)
    await mirror.apply("DELETED", session_resource(NAME, owner=owner, uid=uid, resource_version=9))
    await mirror.apply("MODIFIED", resource)  # a late event from another replica's watch
    assert await _phase(db_pool) == []


async def test_a_recreated_name_replaces_the_old_session_and_its_messages(
    db_pool: asyncpg.Pool, owner: uuid.UUID
) -> None:
    mirror = SessionMirror(db_pool, namespace=NAMESPACE)
    old = await mirror.apply("ADDED", session_resource(NAME, owner=owner, uid="uid-old", resource_version=5))
    new = await mirror.apply("ADDED", session_resource(NAME, owner=owner, uid="uid-new", resource_version=20))
    assert old is not None and new is not None
    assert (new.id != old.id, await _phase(db_pool)) == (True, [(NAME, "Pending", 20)])


async def test_a_resource_being_deleted_leaves_the_dashboard_at_once(
    db_pool: asyncpg.Pool, owner: uuid.UUID
) -> None:
    """The finalizer may take a while; a deletionTimestamp already removes the row."""
    mirror = SessionMirror(db_pool, namespace=NAMESPACE)
    await mirror.apply("ADDED", session_resource(NAME, owner=owner, uid="u1", resource_version=1))
    await mirror.apply(
        "MODIFIED", session_resource(NAME, owner=owner, uid="u1", resource_version=2, deleting=True)
    )
    assert await _phase(db_pool) == []


async def test_a_relist_removes_rows_of_sessions_deleted_while_the_api_was_away(
    db_pool: asyncpg.Pool, owner: uuid.UUID, kmock: kmock.KubernetesEmulator
) -> None:
    """Rows from an earlier run; the cluster now has only `kept`; nothing ever said `gone` was deleted."""
    prepare_kmock(kmock)
    earlier = SessionMirror(db_pool, namespace=NAMESPACE)
    for name in ("gone-abcde", "kept-abcde"):
        await earlier.apply("ADDED", session_resource(name, owner=owner, uid=name))
    kube = Kube(NAMESPACE, url=str(kmock.url))
    mirror = SessionMirror(db_pool, namespace=NAMESPACE, kube=kube)
    runner = asyncio.create_task(mirror.run())
    try:
        await mirror.on_event("ADDED", session_resource("kept-abcde", owner=owner, uid="kept-abcde"))
        await mirror.on_sync({"kept-abcde"}, None)
        await eventually(_names_are(db_pool, ["kept-abcde"]))
    finally:
        runner.cancel()
        await kube.aclose()


async def test_a_database_outage_delays_updates_and_deletions_and_loses_none(
    db_pool: asyncpg.Pool, owner: uuid.UUID
) -> None:
    mirror = SessionMirror(db_pool, namespace=NAMESPACE, retry_delay=0.05, max_delay=0.1)
    await mirror.apply("ADDED", session_resource("doomed-abcde", owner=owner, uid="d"))
    runner = asyncio.create_task(mirror.run())
    try:
        await db_pool.execute("ALTER TABLE whatsapp_sessions RENAME TO whatsapp_sessions_away")
        await mirror.on_event(
            "MODIFIED", session_resource(NAME, owner=owner, uid="u", status=connected_status())
        )
        await mirror.on_event("DELETED", session_resource("doomed-abcde", owner=owner, uid="d"))
        await asyncio.sleep(0.3)  # several failed attempts
        await db_pool.execute("ALTER TABLE whatsapp_sessions_away RENAME TO whatsapp_sessions")
        await eventually(_names_are(db_pool, [NAME]))
        assert await _phase(db_pool) == [(NAME, "Connected", None)]
    finally:
        runner.cancel()
