"""GET /api/events: live SSE per user, Last-Event-ID resume, fan-out across API processes via NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from conectafy.api.main import create_app
from conectafy.api.services.events import QUEUE_SIZE, EventHub, live_events
from conectafy.api.store.events import StoredEvent, append_event, events_after
from conectafy.api.store.sessions import SessionRow
from conectafy.settings import ApiSettings
from conectafy.simulator import SimulatorConfig, run_simulator
from tests.api.conftest import TEST_PASSWORD
from tests.api.dataplane import (
    WEBHOOK_KEY,
    MemoryDirectory,
    SseEvent,
    deliver,
    make_session,
    make_user_id,
    next_event,
    retimed,
    sample_body,
    serve,
)
from tests.support.sessions import NAMESPACE

TEXT = "webhook-2026-message-text.json"


@pytest.fixture
def directory() -> MemoryDirectory:
    return MemoryDirectory()


@contextlib.asynccontextmanager
async def _api(settings: ApiSettings, directory: MemoryDirectory) -> AsyncIterator[str]:
    """One API process (its own pool and LISTEN connection) served on 127.0.0.1."""
    app = create_app(settings, background=[live_events])
    app.state.session_directory = directory
    async with serve(app) as url:
        yield url


@pytest.fixture
async def api_url(
    api_settings: ApiSettings, db_pool: asyncpg.Pool, directory: MemoryDirectory
) -> AsyncIterator[str]:
    async with _api(api_settings, directory) as url:
        yield url


@pytest.fixture
async def http(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as client:
        yield client


async def _register(http: httpx.AsyncClient) -> tuple[uuid.UUID, dict[str, str]]:
    email = f"live-{uuid.uuid4().hex[:10]}@example.com"
    answer = await http.post("/api/auth/register", json={"email": email, "password": TEST_PASSWORD})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return uuid.UUID(body["user"]["id"]), {"Authorization": f"Bearer {body['access_token']}"}


@contextlib.asynccontextmanager
async def _stream(
    http: httpx.AsyncClient, headers: dict[str, str], last_event_id: str | None = None
) -> AsyncIterator[AsyncIterator[str]]:
    """An open /api/events stream, positioned after its `ready` frame (subscribed from then on)."""
    if last_event_id is not None:
        headers = {**headers, "Last-Event-ID": last_event_id}
    async with http.stream(
        "GET", "/api/events", headers=headers, timeout=httpx.Timeout(10, read=30)
    ) as answer:
        assert answer.status_code == 200
        lines = answer.aiter_lines()
        ready = await next_event(lines)
        assert (ready.event, ready.id) == ("ready", None)
        yield lines


async def _event_rows(pool: asyncpg.Pool) -> list[tuple[str, str, Any]]:
    rows = await pool.fetch("SELECT position, type, data FROM events ORDER BY position")
    return [(str(r["position"]), r["type"], r["data"]) for r in rows]


def _sse(rows: list[tuple[str, str, Any]]) -> list[SseEvent]:
    return [SseEvent(event=kind, data=data, id=ident) for ident, kind, data in rows]


async def _owned_session(
    http: httpx.AsyncClient, pool: asyncpg.Pool, directory: MemoryDirectory
) -> tuple[SessionRow, dict[str, str]]:
    user_id, headers = await _register(http)
    return await make_session(pool, directory, user_id=user_id), headers


async def test_a_message_from_waha_arrives_live(
    http: httpx.AsyncClient, api_url: str, db_pool: asyncpg.Pool, directory: MemoryDirectory
) -> None:
    """Simulated phone → WAHA simulator → signed webhook → API → NOTIFY → the owner's SSE stream."""
    session, headers = await _owned_session(http, db_pool, directory)
    config = SimulatorConfig(
        api_key="k",
        paired=True,
        startup_seconds=0,
        webhook_events=["message"],
        hmac_key=WEBHOOK_KEY,
        webhook_url=f"{api_url}/webhooks/waha/{NAMESPACE}/{session.session_name}",
    )
    async with run_simulator(config) as sim, _stream(http, headers) as lines:
        async with httpx.AsyncClient(base_url=sim.url, headers={"X-Api-Key": "k"}) as phone:
            sent = await phone.post("/_sim/messages", json={"from": "15550002222", "text": "hello live"})
            assert sent.status_code == 201, sent.text
        event = await next_event(lines)
    page = (
        await http.get(f"/api/sessions/{session.id}/chats/15550002222@c.us/messages", headers=headers)
    ).json()
    assert event == _sse(await _event_rows(db_pool))[0]
    assert event.data == {
        "session_id": str(session.id),
        "session_name": session.session_name,
        "chat_id": "15550002222@c.us",
        "message": page["items"][0],
    }


async def test_last_event_id_replays_what_was_missed_then_goes_live(
    http: httpx.AsyncClient, db_pool: asyncpg.Pool, directory: MemoryDirectory
) -> None:
    session, headers = await _owned_session(http, db_pool, directory)
    for n in range(3):
        await deliver(
            http, session.session_name, retimed(TEXT, event_id=f"evt_{n}", message_id=f"false_x_{n}")
        )
    first, *missed = await _event_rows(db_pool)
    async with _stream(http, headers, last_event_id=first[0]) as lines:
        replayed = [await next_event(lines) for _ in missed]
        await deliver(
            http, session.session_name, retimed(TEXT, event_id="evt_live", message_id="false_x_live")
        )
        live = await next_event(lines)
    assert [*replayed, live] == _sse((await _event_rows(db_pool))[1:])


async def test_two_api_processes_on_one_database_both_stream_an_event(
    http: httpx.AsyncClient, api_settings: ApiSettings, db_pool: asyncpg.Pool, directory: MemoryDirectory
) -> None:
    session, headers = await _owned_session(http, db_pool, directory)
    async with (
        _api(api_settings, directory) as other_url,
        httpx.AsyncClient(base_url=other_url) as other,
        _stream(http, headers) as here,
        _stream(other, headers) as there,
    ):
        await deliver(other, session.session_name, retimed(TEXT, event_id="evt_fanout"))
        received = [await next_event(here), await next_event(there)]
    assert received == _sse(await _event_rows(db_pool)) * 2


async def test_a_user_receives_none_of_another_users_events(
    http: httpx.AsyncClient, db_pool: asyncpg.Pool, directory: MemoryDirectory
) -> None:
    session_a, _ = await _owned_session(http, db_pool, directory)
    session_b, headers_b = await _owned_session(http, db_pool, directory)
    async with _stream(http, headers_b) as lines:
        await deliver(http, session_a.session_name, retimed(TEXT, event_id="evt_a"))
        await deliver(http, session_b.session_name, retimed(TEXT, event_id="evt_b"))
        first = await next_event(lines)
    assert (first.event, first.data["session_id"]) == ("message", str(session_b.id))


async def test_resuming_after_another_users_events_replays_only_ones_own(
    http: httpx.AsyncClient, db_pool: asyncpg.Pool, directory: MemoryDirectory
) -> None:
    session_a, _ = await _owned_session(http, db_pool, directory)
    session_b, headers_b = await _owned_session(http, db_pool, directory)
    await deliver(http, session_a.session_name, retimed(TEXT, event_id="evt_a"))
    await deliver(http, session_b.session_name, retimed(TEXT, event_id="evt_b"))
    async with _stream(http, headers_b, last_event_id="0") as lines:
        first = await next_event(lines)
    assert (first.event, first.data["session_id"]) == ("message", str(session_b.id))


async def test_a_lost_listen_connection_ends_the_stream_and_resume_misses_nothing(
    http: httpx.AsyncClient, db_pool: asyncpg.Pool, directory: MemoryDirectory
) -> None:
    """When LISTEN breaks, streams end (the browser reconnects) instead of silently missing events."""
    session, headers = await _owned_session(http, db_pool, directory)
    async with _stream(http, headers) as lines:
        await db_pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        )
        with pytest.raises(AssertionError, match="the event stream ended"):
            await next_event(lines)
    await deliver(http, session.session_name, retimed(TEXT, event_id="evt_while_away"))
    async with _stream(http, headers, last_event_id="0") as lines:
        assert await next_event(lines) == _sse(await _event_rows(db_pool))[0]


@pytest.mark.parametrize("value", ["abc", "-1", "1" * 25, "²", "9223372036854775808", "1.5"])
async def test_malformed_last_event_id_is_422_naming_the_header(http: httpx.AsyncClient, value: str) -> None:
    _, headers = await _register(http)
    answer = await http.get("/api/events", headers={**headers, "Last-Event-ID": value.encode()})
    assert (answer.status_code, answer.json()["error"]) == (422, "validation_error")
    assert [e["loc"] for e in answer.json()["detail"]] == [["header", "last-event-id"]]


@pytest.mark.parametrize("value", ["%C2%B2", "99999999999999999999", "1e400"])
async def test_malformed_last_event_id_query_is_422_naming_it(http: httpx.AsyncClient, value: str) -> None:
    _, headers = await _register(http)
    answer = await http.get(f"/api/events?last_event_id={value}", headers=headers)
    assert (answer.status_code, answer.json()["error"]) == (422, "validation_error")
    assert [e["loc"] for e in answer.json()["detail"]] == [["query", "last_event_id"]]


async def test_events_need_a_login(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/events")).status_code == 401


async def test_a_stream_that_falls_too_far_behind_is_ended_not_silently_thinned() -> None:
    """A slow browser gets its stream closed (it reconnects with Last-Event-ID); no event is skipped."""
    hub = EventHub(pool=None)
    user_id = uuid.uuid4()
    at = datetime.now(UTC)
    with hub.subscribe(user_id) as subscription:
        accepted = [
            subscription.offer(
                StoredEvent(id=n, position=n, user_id=user_id, type="ack", data={}, created_at=at)
            )
            for n in range(QUEUE_SIZE + 1)
        ]
        received = [event.id async for event in subscription]
    assert (accepted.count(True), accepted[-1], received) == (QUEUE_SIZE, False, list(range(QUEUE_SIZE)))
    assert hub.client_count == 0


# --- issue 11: live events are complete ------------------------------------------------------------------


async def test_a_live_media_message_carries_the_same_media_url_as_rest(
    http: httpx.AsyncClient, db_pool: asyncpg.Pool, directory: MemoryDirectory
) -> None:
    session, headers = await _owned_session(http, db_pool, directory)
    async with _stream(http, headers) as lines:
        await deliver(http, session.session_name, sample_body("webhook-2026-message-image.json"))
        event = await next_event(lines)
    chat_id = event.data["chat_id"]
    page = (await http.get(f"/api/sessions/{session.id}/chats/{chat_id}/messages", headers=headers)).json()
    route = f"/api/sessions/{session.id}/messages/{page['items'][0]['id']}/media"
    assert (event.data["message"]["media_url"], page["items"][0]["media_url"]) == (route, route)


async def test_resume_never_skips_an_event_committed_after_a_later_id(
    http: httpx.AsyncClient, db_pool: asyncpg.Pool, directory: MemoryDirectory
) -> None:
    """Two real transactions: the one holding the smaller id commits last, after the browser already saw
    the other one and went away. Resuming from what it saw must still bring the late committer."""
    session, headers = await _owned_session(http, db_pool, directory)
    async with db_pool.acquire() as early, db_pool.acquire() as late:
        slow = early.transaction()
        await slow.start()
        early_id = await append_event(early, user_id=session.user_id, type="ack", data={"n": "early"})
        async with late.transaction():
            late_id = await append_event(late, user_id=session.user_id, type="ack", data={"n": "late"})
        assert early_id < late_id  # the ids were taken in one order...
        async with _stream(http, headers, last_event_id="0") as lines:
            seen = await next_event(lines)
        await slow.commit()  # ...and committed in the other
    assert seen.data == {"n": "late"}
    async with _stream(http, headers, last_event_id=seen.id) as lines:
        assert (await next_event(lines)).data == {"n": "early"}


async def test_a_reader_resuming_from_its_last_position_sees_every_event_once(
    db_pool: asyncpg.Pool, pg_dsn: str
) -> None:
    """Many concurrent transactions committing in random order while a reader polls from its last
    position (what every reconnecting browser does): nothing is skipped, nothing repeated."""
    user_id = await make_user_id(db_pool)
    count = 60

    async def write(n: int) -> None:
        async with db_pool.acquire() as conn, conn.transaction():
            await append_event(conn, user_id=user_id, type="ack", data={"n": n})
            await asyncio.sleep(random.random() * 0.02)  # commit order differs from id order

    reader = await asyncpg.connect(pg_dsn)
    try:
        writers = asyncio.gather(*(write(n) for n in range(count)))
        seen: list[int] = []
        position = 0
        while len(seen) < count:
            page = await events_after(reader, user_id=user_id, after_position=position, limit=1000)
            seen += [event.data["n"] for event in page]
            position = page[-1].position if page else position
            await asyncio.sleep(0.001)
        await writers
    finally:
        await reader.close()
    assert sorted(seen) == list(range(count))


async def test_a_transactions_events_are_numbered_at_commit_in_insertion_order(db_pool: asyncpg.Pool) -> None:
    user_id = await make_user_id(db_pool)
    async with db_pool.acquire() as conn:
        async with conn.transaction():
            ids = [await append_event(conn, user_id=user_id, type="ack", data={"n": n}) for n in range(3)]
            unnumbered = await conn.fetchval("SELECT count(*) FROM events WHERE position IS NULL")
        rows = await conn.fetch("SELECT id, position FROM events ORDER BY position")
    assert unnumbered == 3  # no position before COMMIT...
    assert [row["id"] for row in rows] == ids  # ...then one each, in the order they were inserted
    assert len({row["position"] for row in rows}) == 3
