"""Chats routes: contact list, conversation pages, mark read, sending through the WAHA simulator."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from conectafy.api.store import contacts as contacts_store
from conectafy.api.store import messages as messages_store
from conectafy.api.store.sessions import SessionRow
from conectafy.simulator import RunningSimulator, SimulatorConfig, run_simulator
from tests.api.conftest import UserFactory
from tests.api.dataplane import MemoryDirectory

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SIM_KEY = "sim-api-key"
BOB = "15550003333@c.us"


@pytest.fixture
def headers(owner: tuple[uuid.UUID, dict[str, str]]) -> dict[str, str]:
    return owner[1]


@pytest.fixture
async def simulator(
    db_pool: asyncpg.Pool, session: SessionRow, directory: MemoryDirectory
) -> AsyncIterator[RunningSimulator]:
    """A paired (WORKING) simulated WAHA serving this session, which the API sees connected; no webhooks
    (sends are stored directly)."""
    config = SimulatorConfig(api_key=SIM_KEY, paired=True, status_guard_wait_seconds=0, startup_seconds=0)
    async with run_simulator(config) as sim:
        directory.waha[session.session_name] = (sim.url, SIM_KEY)
        await _until_working(sim)
        await _connected(db_pool, session)
        yield sim


async def _connected(pool: asyncpg.Pool, session: SessionRow) -> None:
    """What the operator's status mirror writes once WAHA is WORKING."""
    await pool.execute(
        "UPDATE whatsapp_sessions SET status = 'connected', phase = 'Connected' WHERE id = $1", session.id
    )


async def _until_working(sim: RunningSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.url, headers={"X-Api-Key": SIM_KEY}) as http:
        for _ in range(500):
            if (await http.get("/api/sessions/default")).json().get("status") == "WORKING":
                return
            await __import__("asyncio").sleep(0.01)
    raise AssertionError("the simulator never reached WORKING")


async def _seed_contact(
    pool: asyncpg.Pool, session: SessionRow, number: str, *, name: str | None, minutes: int, unread: int = 0
) -> None:
    await contacts_store.upsert_contact(
        pool,
        session_id=session.id,
        chat_id=f"{number}@c.us",
        phone_number=number,
        name=name,
        message_at=T0 + timedelta(minutes=minutes),
        preview=f"hello from {name}",
        unread_increment=unread,
    )


async def _seed_messages(pool: asyncpg.Pool, session: SessionRow, chat_id: str, count: int) -> None:
    """`count` inbound messages one second apart; messages 3 and 4 share a timestamp (tie on id)."""
    for n in range(count):
        at = T0 + timedelta(seconds=min(n, 3) if n in (3, 4) else n)
        message = messages_store.NewMessage(
            chat_id=chat_id, message_id=f"false_{chat_id}_M{n:03d}", from_me=False, timestamp=at, body=f"m{n}"
        )
        await messages_store.insert_message(pool, session_id=session.id, message=message)


async def _all_pages(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], key: str
) -> list[list[Any]]:
    pages: list[list[Any]] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        body = (await client.get(url, params=params, headers=headers)).json()
        pages.append([item[key] for item in body["items"]])
        if body["next_cursor"] is None:
            return pages
        params = {"limit": 3, ("before" if "messages" in url else "cursor"): body["next_cursor"]}


async def test_contacts_are_listed_recent_first_across_pages(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, session: SessionRow, headers: dict[str, str]
) -> None:
    for minutes in range(7):
        await _seed_contact(db_pool, session, f"155500100{minutes:02d}", name=f"C{minutes}", minutes=minutes)
    pages = await _all_pages(client, f"/api/sessions/{session.id}/contacts", headers, "name")
    assert pages == [["C6", "C5", "C4"], ["C3", "C2", "C1"], ["C0"]]


async def test_unread_first_lists_unread_chats_before_the_rest(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, session: SessionRow, headers: dict[str, str]
) -> None:
    for minutes in range(6):
        unread = 1 if minutes in (1, 4) else 0
        await _seed_contact(
            db_pool, session, f"155500200{minutes:02d}", name=f"C{minutes}", minutes=minutes, unread=unread
        )
    url = f"/api/sessions/{session.id}/contacts"
    names: list[str] = []
    params: dict[str, Any] = {"limit": 2, "unread_first": "true"}
    while True:
        body = (await client.get(url, params=params, headers=headers)).json()
        names += [item["name"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        params = {**params, "cursor": body["next_cursor"]}
    assert names == ["C4", "C1", "C5", "C3", "C2", "C0"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ali", ["Alice", "Malik"]),
        ("1555009", ["Bob"]),
        ("+1555009", ["Bob"]),
        ("%", []),
        ("' OR 1=1 --", []),
    ],
)
async def test_search_matches_names_and_number_prefixes_literally(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    headers: dict[str, str],
    search: str,
    expected: list[str],
) -> None:
    await _seed_contact(db_pool, session, "15550070001", name="Alice", minutes=3)
    await _seed_contact(db_pool, session, "15550090002", name="Bob", minutes=2)
    await _seed_contact(db_pool, session, "15550080003", name="Malik", minutes=1)
    answer = await client.get(
        f"/api/sessions/{session.id}/contacts", params={"search": search}, headers=headers
    )
    assert (answer.status_code, [c["name"] for c in answer.json()["items"]]) == (200, expected)


async def test_conversation_pages_are_newest_first_without_gaps_or_repeats(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, session: SessionRow, headers: dict[str, str]
) -> None:
    await _seed_messages(db_pool, session, BOB, 7)
    pages = await _all_pages(client, f"/api/sessions/{session.id}/chats/{BOB}/messages", headers, "body")
    assert pages == [["m6", "m5", "m4"], ["m3", "m2", "m1"], ["m0"]]


async def test_conversation_page_is_the_whole_public_message(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, session: SessionRow, headers: dict[str, str]
) -> None:
    await _seed_messages(db_pool, session, BOB, 1)
    body = (await client.get(f"/api/sessions/{session.id}/chats/{BOB}/messages", headers=headers)).json()
    item = body["items"][0]
    assert (body["next_cursor"], {k: v for k, v in item.items() if k not in ("id", "created_at")}) == (
        None,
        {
            "session_id": str(session.id),
            "chat_id": BOB,
            "message_id": f"false_{BOB}_M000",
            "from_me": False,
            "from_number": None,
            "to_number": None,
            "body": "m0",
            "type": "text",
            "media_url": None,
            "media_mimetype": None,
            "media_filename": None,
            "ack": None,
            "ack_name": None,
            "timestamp": "2026-11-01T12:00:00Z",
        },
    )


@pytest.mark.parametrize("cursor", ["not-base64!", "bm9wZQ", base64.urlsafe_b64encode(b'["x", 1]').decode()])
async def test_a_cursor_we_did_not_issue_is_422_naming_it(
    client: httpx.AsyncClient, session: SessionRow, headers: dict[str, str], cursor: str
) -> None:
    answer = await client.get(
        f"/api/sessions/{session.id}/chats/{BOB}/messages", params={"before": cursor}, headers=headers
    )
    assert (answer.status_code, answer.json()) == (
        422,
        {
            "error": "validation_error",
            "detail": [
                {
                    "loc": ["query", "before"],
                    "msg": "malformed cursor: pass a next_cursor this API returned",
                    "type": "value_error",
                }
            ],
        },
    )


async def test_mark_read_zeroes_the_unread_count(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, session: SessionRow, headers: dict[str, str]
) -> None:
    await _seed_contact(db_pool, session, "15550003333", name="Bob", minutes=1, unread=4)
    answer = await client.post(f"/api/sessions/{session.id}/chats/{BOB}/read", headers=headers)
    contacts = (await client.get(f"/api/sessions/{session.id}/contacts", headers=headers)).json()["items"]
    assert (answer.json(), [c["unread_count"] for c in contacts]) == (
        {"chat_id": BOB, "unread_count": 0},
        [0],
    )


async def test_mark_read_of_an_unknown_chat_is_404(
    client: httpx.AsyncClient, session: SessionRow, headers: dict[str, str]
) -> None:
    answer = await client.post(f"/api/sessions/{session.id}/chats/{BOB}/read", headers=headers)
    assert (answer.status_code, answer.json()["detail"]) == (404, "chat not found")


async def test_invalid_chat_id_is_422(
    client: httpx.AsyncClient, session: SessionRow, headers: dict[str, str]
) -> None:
    answer = await client.get(f"/api/sessions/{session.id}/chats/not a chat/messages", headers=headers)
    assert answer.status_code == 422


async def test_send_text_reaches_waha_and_is_stored_from_me(
    client: httpx.AsyncClient, session: SessionRow, headers: dict[str, str], simulator: RunningSimulator
) -> None:
    answer = await client.post(
        f"/api/sessions/{session.id}/chats/{BOB}/messages",
        json={"text": "Your order shipped"},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    message = answer.json()
    async with httpx.AsyncClient(base_url=simulator.url, headers={"X-Api-Key": SIM_KEY}) as http:
        delivered = (await http.get("/_sim/sent")).json()
    assert [(d["id"], d["body"]) for d in delivered] == [(message["message_id"], "Your order shipped")]
    page = (await client.get(f"/api/sessions/{session.id}/chats/{BOB}/messages", headers=headers)).json()
    assert [(m["id"], m["from_me"], m["ack_name"], m["type"], m["to_number"]) for m in page["items"]] == [
        (message["id"], True, "PENDING", "text", "15550003333")
    ]


async def test_sending_updates_the_chat_without_unread(
    client: httpx.AsyncClient, session: SessionRow, headers: dict[str, str], simulator: RunningSimulator
) -> None:
    await client.post(
        f"/api/sessions/{session.id}/chats/{BOB}/messages", json={"text": "Hi Bob"}, headers=headers
    )
    contacts = (await client.get(f"/api/sessions/{session.id}/contacts", headers=headers)).json()["items"]
    assert [(c["chat_id"], c["last_message_preview"], c["unread_count"]) for c in contacts] == [
        (BOB, "Hi Bob", 0)
    ]


async def test_send_image_upload_is_sent_as_an_image(
    client: httpx.AsyncClient, session: SessionRow, headers: dict[str, str], simulator: RunningSimulator
) -> None:
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    answer = await client.post(
        f"/api/sessions/{session.id}/chats/{BOB}/media",
        headers=headers,
        files={"file": ("dot.png", png, "image/png")},
        data={"caption": "a dot"},
    )
    assert answer.status_code == 201, answer.text
    message = answer.json()
    assert (message["type"], message["body"], message["media_mimetype"], message["media_filename"]) == (
        "image",
        "a dot",
        "image/png",
        "dot.png",
    )


async def test_send_while_waha_is_not_working_is_409_and_sends_nothing(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    headers: dict[str, str],
    directory: MemoryDirectory,
) -> None:
    """The row still says connected (WAHA's status webhook not in yet): WAHA's own guard refuses."""
    config = SimulatorConfig(api_key=SIM_KEY, paired=False, status_guard_wait_seconds=0, startup_seconds=0)
    await _connected(db_pool, session)
    async with run_simulator(config) as sim:
        directory.waha[session.session_name] = (sim.url, SIM_KEY)
        answer = await client.post(
            f"/api/sessions/{session.id}/chats/{BOB}/messages", json={"text": "hello"}, headers=headers
        )
    assert answer.status_code == 409, answer.text
    assert answer.json()["detail"].startswith("session is not connected (WAHA status ")
    assert await db_pool.fetchval("SELECT array_agg(send_state) FROM messages") == ["failed"]


async def test_send_to_an_unreachable_waha_is_503(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    headers: dict[str, str],
    directory: MemoryDirectory,
) -> None:
    await _connected(db_pool, session)
    directory.waha[session.session_name] = ("http://127.0.0.1:9", SIM_KEY)
    answer = await client.post(
        f"/api/sessions/{session.id}/chats/{BOB}/messages", json={"text": "hello"}, headers=headers
    )
    assert (answer.status_code, answer.json()["detail"]) == (503, "the session's WAHA is not reachable")


async def test_empty_text_is_422(
    client: httpx.AsyncClient, session: SessionRow, headers: dict[str, str]
) -> None:
    answer = await client.post(
        f"/api/sessions/{session.id}/chats/{BOB}/messages", json={"text": ""}, headers=headers
    )
    assert answer.status_code == 422


CHAT_ENDPOINTS = [
    ("GET", "/contacts", None),
    ("GET", f"/chats/{BOB}/messages", None),
    ("POST", f"/chats/{BOB}/read", None),
    ("POST", f"/chats/{BOB}/messages", {"json": {"text": "intruder"}}),
    ("POST", f"/chats/{BOB}/media", {"files": {"file": ("a.txt", b"x", "text/plain")}}),
]


@pytest.mark.parametrize(("method", "path", "body"), CHAT_ENDPOINTS)
async def test_another_users_session_is_404_on_every_chat_endpoint(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    session: SessionRow,
    user_factory: UserFactory,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    await _seed_contact(db_pool, session, "15550003333", name="Bob", minutes=1, unread=2)
    _, intruder = await user_factory()
    answer = await client.request(
        method, f"/api/sessions/{session.id}{path}", headers=intruder, **(body or {})
    )
    assert (answer.status_code, answer.json()) == (404, {"error": "not_found", "detail": "session not found"})
    assert await db_pool.fetchval("SELECT unread_count FROM contacts") == 2


@pytest.mark.parametrize(("method", "path", "body"), CHAT_ENDPOINTS)
async def test_unknown_session_id_is_404(
    client: httpx.AsyncClient, headers: dict[str, str], method: str, path: str, body: dict[str, Any] | None
) -> None:
    answer = await client.request(
        method, f"/api/sessions/{uuid.uuid4()}{path}", headers=headers, **(body or {})
    )
    assert answer.status_code == 404


async def test_chats_need_a_login(client: httpx.AsyncClient, session: SessionRow) -> None:
    assert (await client.get(f"/api/sessions/{session.id}/contacts")).status_code == 401
