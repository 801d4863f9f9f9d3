"""Idempotent sends: the pending row before WAHA, Idempotency-Key retries, the echo repairing a crash."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from conectafy.api.store import sends as sends_store
from conectafy.api.store.messages import NewMessage
from conectafy.api.store.sessions import SessionRow
from conectafy.simulator import RunningSimulator, SimulatorConfig, run_simulator
from tests.api.dataplane import MemoryDirectory, deliver, envelope_bytes

SIM_KEY = "sim-api-key"
BOB = "15550003333@c.us"
#: WAHA's echo of one of our texts as ingestion inserts it (the claim trigger fires on it).
ECHO_SQL = (
    'INSERT INTO messages (session_id, chat_id, message_id, from_me, body, type, "timestamp")'
    " VALUES ($1, $2, $3, true, $4, 'text', $5) ON CONFLICT DO NOTHING"
)


@pytest.fixture
def headers(owner: tuple[uuid.UUID, dict[str, str]]) -> dict[str, str]:
    return owner[1]


async def _connected(pool: asyncpg.Pool, session: SessionRow) -> None:
    """What the operator's status mirror writes once WAHA is WORKING."""
    await pool.execute(
        "UPDATE whatsapp_sessions SET status = 'connected', phase = 'Connected' WHERE id = $1", session.id
    )


@pytest.fixture
async def simulator(
    db_pool: asyncpg.Pool, session: SessionRow, directory: MemoryDirectory
) -> AsyncIterator[RunningSimulator]:
    """A paired simulated WAHA for a connected session; its webhooks go nowhere (a closed port, no
    retries) and are read from /_sim/events instead."""
    config = SimulatorConfig(
        api_key=SIM_KEY, paired=True, status_guard_wait_seconds=0, startup_seconds=0,
        webhook_url="http://127.0.0.1:9/hook", retry_attempts=0,
    )  # fmt: skip
    async with run_simulator(config) as sim:
        directory.waha[session.session_name] = (sim.url, SIM_KEY)
        await _connected(db_pool, session)
        yield sim


async def _sim(sim: RunningSimulator, path: str) -> Any:
    async with httpx.AsyncClient(base_url=sim.url, headers={"X-Api-Key": SIM_KEY}) as http:
        return (await http.get(f"/_sim/{path}")).json()


async def _send(
    client: httpx.AsyncClient, session: SessionRow, headers: dict[str, str], text: str, key: str | None
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(
        f"/api/sessions/{session.id}/chats/{BOB}/messages", json={"text": text}, headers=headers | extra
    )


async def _rows(pool: asyncpg.Pool) -> list[tuple[str, str | None, str | None]]:
    rows = await pool.fetch("SELECT message_id, body, send_state FROM messages ORDER BY id")
    return [(r["message_id"], r["body"], r["send_state"]) for r in rows]


async def test_a_session_that_is_not_connected_is_409_with_its_phase_and_waha_is_not_called(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, session: SessionRow, headers: dict[str, str]
) -> None:
    await db_pool.execute(
        "UPDATE whatsapp_sessions SET status = 'connecting', phase = 'ScanQR' WHERE id = $1", session.id
    )
    answer = await _send(client, session, headers, "hello", None)
    assert (answer.status_code, answer.json()["detail"]) == (
        409,
        {"message": "session is not connected (phase ScanQR)", "phase": "ScanQR", "status": "connecting"},
    )
    assert await _rows(db_pool) == []


async def test_a_retry_with_the_same_key_answers_the_first_send_and_sends_once(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    headers: dict[str, str],
    simulator: RunningSimulator,
) -> None:
    first = await _send(client, session, headers, "Your order shipped", "order-42")
    second = await _send(client, session, headers, "Your order shipped", "order-42")
    assert (first.status_code, second.status_code, second.json()) == (201, 201, first.json())
    delivered = await _sim(simulator, "sent")
    assert [(d["id"], d["body"]) for d in delivered] == [(first.json()["message_id"], "Your order shipped")]
    assert await _rows(db_pool) == [(first.json()["message_id"], "Your order shipped", "sent")]


async def test_a_key_reused_for_another_message_is_422_and_sends_nothing_more(
    client: httpx.AsyncClient, session: SessionRow, headers: dict[str, str], simulator: RunningSimulator
) -> None:
    await _send(client, session, headers, "first", "k-1")
    answer = await _send(client, session, headers, "something else", "k-1")
    assert (answer.status_code, len(await _sim(simulator, "sent"))) == (422, 1)


async def test_the_echo_of_our_message_completes_a_send_the_api_crashed_on(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    headers: dict[str, str],
    simulator: RunningSimulator,
) -> None:
    """The pending row was written and WAHA sent the message, but the API died before recording its id:
    WAHA's message.any echo becomes that row (not a second one), and a retry answers it as sent."""
    async with db_pool.acquire() as conn:
        pending = NewMessage(
            chat_id=BOB, message_id=sends_store.placeholder_id(), from_me=True,
            timestamp=datetime.now(UTC), body="On its way",
        )  # fmt: skip
        await sends_store.insert_pending(
            conn, session_id=session.id, message=pending, idempotency_key="k-crash",
            phone_number="15550003333", preview="On its way",
        )  # fmt: skip
    async with httpx.AsyncClient(base_url=simulator.url, headers={"X-Api-Key": SIM_KEY}) as waha:
        sent = await waha.post(
            "/api/sendText", json={"session": "default", "chatId": BOB, "text": "On its way"}
        )
    echo = next(e for e in await _sim(simulator, "events") if e["event"] == "message.any")
    assert (await deliver(client, session.session_name, envelope_bytes(echo))).status_code == 200
    real_id = f"true_{BOB}_{sent.json()['key']['id']}"
    assert await _rows(db_pool) == [(real_id, "On its way", "sent")]
    retry = await _send(client, session, headers, "On its way", "k-crash")
    assert (retry.status_code, retry.json()["message_id"]) == (201, real_id)


@pytest.fixture
async def failing_confirm(db_pool: asyncpg.Pool) -> AsyncIterator[None]:
    """PostgreSQL refuses to record WAHA's id (a real server-side error, after WAHA accepted)."""
    await db_pool.execute(
        """
        CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
        CREATE TRIGGER test_refuse BEFORE UPDATE ON messages FOR EACH ROW
            WHEN (NEW.message_id NOT LIKE 'pending:%') EXECUTE FUNCTION test_refuse();
        """
    )
    yield
    await db_pool.execute("DROP TRIGGER test_refuse ON messages; DROP FUNCTION test_refuse()")


async def test_a_store_failure_after_waha_accepted_is_202_pending_and_a_retry_never_resends(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    headers: dict[str, str],
    simulator: RunningSimulator,
    failing_confirm: None,
) -> None:
    first = await _send(client, session, headers, "Paid, thanks", "k-store")
    retry = await _send(client, session, headers, "Paid, thanks", "k-store")
    assert (first.status_code, retry.status_code, retry.json()["id"]) == (202, 202, first.json()["id"])
    assert first.json()["message_id"].startswith("pending:")
    assert len(await _sim(simulator, "sent")) == 1


async def test_an_unreachable_waha_fails_the_send_and_the_same_key_may_try_again(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    headers: dict[str, str],
    directory: MemoryDirectory,
    simulator: RunningSimulator,
) -> None:
    """Connection refused: nothing went out, so the row is `failed` and a retry really sends."""
    working = directory.waha[session.session_name]
    directory.waha[session.session_name] = ("http://127.0.0.1:9", SIM_KEY)
    refused = await _send(client, session, headers, "hello", "k-refused")
    directory.waha[session.session_name] = working
    retried = await _send(client, session, headers, "hello", "k-refused")
    assert (refused.status_code, retried.status_code) == (503, 201)
    assert await _rows(db_pool) == [(retried.json()["message_id"], "hello", "sent")]


async def test_an_echo_that_completed_an_identical_twin_is_swapped_on_confirm(
    db_pool: asyncpg.Pool, session: SessionRow
) -> None:
    """Two pending sends of the same text; B's echo completes A (the oldest). When A's own answer is
    recorded, A and B swap ids, and B's own answer then finds B already right."""
    ids = []
    async with db_pool.acquire() as conn:
        for key in ("a", "b"):
            row = NewMessage(
                chat_id=BOB, message_id=sends_store.placeholder_id(), from_me=True,
                timestamp=datetime.now(UTC), body="ok",
            )  # fmt: skip
            made = await sends_store.insert_pending(
                conn, session_id=session.id, message=row, idempotency_key=key,
                phone_number="15550003333", preview="ok",
            )  # fmt: skip
            assert made is not None
            ids.append(made["id"])
        echo_b = NewMessage(
            chat_id=BOB, message_id="true_B", from_me=True, timestamp=row.timestamp, body="ok"
        )
        await conn.execute(ECHO_SQL, session.id, BOB, echo_b.message_id, echo_b.body, echo_b.timestamp)
        await sends_store.confirm(conn, row_id=ids[0], message_id="true_A")
        await sends_store.confirm(conn, row_id=ids[1], message_id="true_B")
        rows = await conn.fetch("SELECT id, message_id, send_state FROM messages ORDER BY id")
    assert [tuple(r) for r in rows] == [(ids[0], "true_A", "sent"), (ids[1], "true_B", "sent")]


async def _blocked_or_done(pool: asyncpg.Pool, pid: int, task: asyncio.Task[Any]) -> None:
    """Until the statement of backend `pid` waits for a lock, or has finished without waiting."""
    for _ in range(500):
        if task.done() or await pool.fetchval(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid
        ):
            return
        await asyncio.sleep(0.01)


async def test_an_echo_arriving_while_its_send_is_confirmed_is_not_a_second_row(
    db_pool: asyncpg.Pool, session: SessionRow
) -> None:
    """The API is recording WAHA's id (its transaction holds the pending row) when the echo is stored:
    the echo waits for that transaction, then finds its message already there."""
    async with db_pool.acquire() as conn:
        row = NewMessage(
            chat_id=BOB, message_id=sends_store.placeholder_id(), from_me=True,
            timestamp=datetime.now(UTC), body="ok",
        )  # fmt: skip
        made = await sends_store.insert_pending(
            conn, session_id=session.id, message=row, idempotency_key="k-race",
            phone_number="15550003333", preview="ok",
        )  # fmt: skip
        assert made is not None
    async with db_pool.acquire() as confirming, db_pool.acquire() as echoing:
        async with confirming.transaction():
            await confirming.execute("SELECT 1 FROM messages WHERE id = $1 FOR UPDATE", made["id"])
            stored = echoing.execute(ECHO_SQL, session.id, BOB, "true_A", "ok", row.timestamp)
            echo = asyncio.create_task(stored)
            await _blocked_or_done(db_pool, echoing.get_server_pid(), echo)
            await sends_store.confirm(confirming, row_id=made["id"], message_id="true_A")
        await echo
    assert await _rows(db_pool) == [("true_A", "ok", "sent")]
