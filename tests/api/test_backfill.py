"""Backfill: messages WAHA has but webhooks never delivered are read through its chats/messages endpoints."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from conectafy.api.services.backfill import Backfiller, _plan
from conectafy.api.store.sessions import SessionRow
from conectafy.cli import app as cli
from conectafy.simulator import RunningSimulator, SimulatorConfig, run_simulator
from tests.api.dataplane import MemoryDirectory, deliver, envelope_bytes

SIM_KEY = "sim-api-key"
ALICE, BOB = "15550002222", "15550003333"


@pytest.fixture
def headers(owner: tuple[uuid.UUID, dict[str, str]]) -> dict[str, str]:
    return owner[1]


@pytest.fixture
async def simulator(
    db_pool: asyncpg.Pool, session: SessionRow, directory: MemoryDirectory
) -> AsyncIterator[RunningSimulator]:
    """A paired WAHA for a connected session; the test delivers (or withholds) its webhooks itself."""
    config = SimulatorConfig(api_key=SIM_KEY, paired=True, status_guard_wait_seconds=0, startup_seconds=0)
    async with run_simulator(config) as sim:
        directory.waha[session.session_name] = (sim.url, SIM_KEY)
        await db_pool.execute(
            "UPDATE whatsapp_sessions SET status = 'connected', phase = 'Connected' WHERE id = $1", session.id
        )
        yield sim


async def _inbound(sim: RunningSimulator, sender: str, text: str, at: int) -> dict[str, Any]:
    """A contact writes; WAHA keeps it in its history but the webhook never reaches us."""
    body = {"from": sender, "text": text, "timestamp": at, "deliver": False}
    async with httpx.AsyncClient(base_url=sim.url, headers={"X-Api-Key": SIM_KEY}) as http:
        answer = await http.post("/_sim/messages", json=body)
    assert answer.status_code == 201, answer.text
    payload: dict[str, Any] = answer.json()
    return payload


def _envelope(session: SessionRow, event: str, payload: dict[str, Any]) -> bytes:
    return envelope_bytes(
        {"id": f"evt_{uuid.uuid4().hex}", "timestamp": int(time.time() * 1000), "event": event,
         "session": "default", "me": {"id": "15550001111@c.us"}, "payload": payload, "engine": "NOWEB"}
    )  # fmt: skip


async def _stored(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    rows = await pool.fetch('SELECT message_id, body FROM messages ORDER BY "timestamp", id')
    return [(r["message_id"], r["body"]) for r in rows]


async def test_backfill_stores_what_webhooks_missed_once(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    headers: dict[str, str],
    simulator: RunningSimulator,
) -> None:
    """One message came by webhook; the three after it did not. Backfill brings exactly those, and a
    second backfill finds nothing new."""
    now = int(datetime.now(UTC).timestamp())
    delivered = await _inbound(simulator, ALICE, "before the outage", now - 60)
    await deliver(client, session.session_name, _envelope(session, "message", delivered))
    missed = [
        await _inbound(simulator, ALICE, "during 1", now - 30),
        await _inbound(simulator, BOB, "during 2", now - 20),
        await _inbound(simulator, ALICE, "during 3", now - 10),
    ]
    first = await client.post(f"/api/sessions/{session.id}/backfill", headers=headers)
    again = await client.post(f"/api/sessions/{session.id}/backfill", headers=headers)
    assert (first.status_code, first.json()) == (200, {"chats": 2, "messages_read": 4, "stored": 3})
    assert (again.json()["stored"], await _stored(db_pool)) == (
        0,
        [(m["id"], m["body"]) for m in [delivered, *missed]],
    )


async def test_a_session_back_to_working_is_backfilled(
    app: FastAPI,
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    simulator: RunningSimulator,
) -> None:
    """WAHA's `session.status` WORKING webhook (a reconnect) starts a backfill in the background."""
    missed = await _inbound(simulator, ALICE, "while we were down", int(datetime.now(UTC).timestamp()))
    status = {"name": "default", "status": "WORKING", "statuses": []}
    answer = await deliver(client, session.session_name, _envelope(session, "session.status", status))
    assert answer.status_code == 200, answer.text
    await app.state.backfiller.drain()
    assert await _stored(db_pool) == [(missed["id"], "while we were down")]


async def test_backfill_of_a_session_that_is_not_connected_is_409(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, session: SessionRow, headers: dict[str, str]
) -> None:
    await db_pool.execute(
        "UPDATE whatsapp_sessions SET status = 'connecting', phase = 'ScanQR' WHERE id = $1", session.id
    )
    answer = await client.post(f"/api/sessions/{session.id}/backfill", headers=headers)
    assert (answer.status_code, answer.json()["detail"]["phase"]) == (409, "ScanQR")


async def test_the_cli_backfills_a_session(
    db_pool: asyncpg.Pool, pg_dsn: str, session: SessionRow, simulator: RunningSimulator
) -> None:
    missed = await _inbound(simulator, BOB, "from the shell", int(datetime.now(UTC).timestamp()))
    args = ["backfill", session.session_name, "--waha-url", simulator.url, "--database-url", pg_dsn]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env={"WAHA_API_KEY": SIM_KEY})
    assert (result.exit_code, result.output.splitlines()[-1]) == (
        0,
        f"{session.session_name}: 1 chats read, 1 messages, 1 new",
    )
    assert await _stored(db_pool) == [(missed["id"], "from the shell")]


T = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("chats", "stored", "expected"),
    [
        ([("a@c.us", 100)], {}, [("a@c.us", None)]),
        ([("a@c.us", None)], {"a@c.us": T}, [("a@c.us", int(T.timestamp()))]),
        # a chat never stored starts at the session's newest message; one quiet since then is skipped
        ([("b@c.us", int(T.timestamp()) + 5)], {"a@c.us": T}, [("b@c.us", int(T.timestamp()))]),
        ([("b@c.us", int(T.timestamp()) - 5)], {"a@c.us": T}, []),
    ],
)
def test_plan_reads_each_chat_from_where_its_stored_history_ends(
    chats: list[tuple[str, int | None]], stored: dict[str, datetime], expected: list[tuple[str, int | None]]
) -> None:
    assert [(c.chat_id, c.since) for c in _plan(chats, stored)] == expected


class _BrokenDirectory:
    async def waha_client(self, session_name: str) -> Any:
        raise RuntimeError("an error nobody expected")


async def test_an_unexpected_backfill_error_is_handled_in_the_task(
    db_pool: asyncpg.Pool, session: SessionRow
) -> None:
    """Logged with its traceback there, instead of "Task exception was never retrieved" at exit."""
    backfiller = Backfiller(db_pool)
    backfiller.schedule(session.session_name, _BrokenDirectory())  # type: ignore[arg-type]
    [task] = backfiller._running.values()
    await backfiller.drain()
    assert task.done() and task.exception() is None
