"""POST /webhooks/waha/{session} with WAHA's real captured deliveries, re-signed with the test key."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
import structlog

from conectafy.api.metrics import REGISTRY
from conectafy.api.store.sessions import SessionRow
from tests.api.dataplane import (
    MemoryDirectory,
    deliver,
    envelope_bytes,
    make_session,
    make_user_id,
    retimed,
    sample_body,
    signed_headers,
)
from tests.support.sessions import NAMESPACE

TEXT = "webhook-2026-message-text.json"
SENT = "webhook-2026-message.any-sent-via-api.json"
ALICE_TEXT_ID = "false_15550002222@c.us_3EB0AAAABBBBCCCC0001"
OWN_ID = "true_15550002222@c.us_3EB0CC48CA9FD6184D20A3"


@pytest.fixture
async def session(db_pool: asyncpg.Pool, directory: MemoryDirectory) -> SessionRow:
    return await make_session(db_pool, directory, user_id=await make_user_id(db_pool))


@pytest.fixture
async def conn(db_pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with db_pool.acquire() as connection:
        yield connection


async def _messages(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT chat_id, message_id, from_me, from_number, to_number, body, type, media_url, media_mimetype,"
        ' media_filename, ack, ack_name, "timestamp" FROM messages ORDER BY id'
    )
    return [dict(row) for row in rows]


async def _contacts(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT phone_number, chat_id, name, last_message_at, last_message_preview, unread_count"
        " FROM contacts ORDER BY id"
    )
    return [dict(row) for row in rows]


async def _event_types(conn: asyncpg.Connection) -> list[str]:
    return [row["type"] for row in await conn.fetch("SELECT type FROM events ORDER BY id")]


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def test_same_delivery_five_times_stores_one_message(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = sample_body(TEXT)
    answers = [await deliver(client, session.session_name, body) for _ in range(5)]
    assert [(r.status_code, r.json()) for r in answers] == [
        (200, {"outcome": "stored", "event": "message"})
    ] + [(200, {"outcome": "duplicate", "event": "message"})] * 4
    assert await _messages(conn) == [
        {
            "chat_id": "15550002222@c.us",
            "message_id": ALICE_TEXT_ID,
            "from_me": False,
            "from_number": "15550002222",
            "to_number": "15550001111",
            "body": "Hi, I need help with my order",
            "type": "text",
            "media_url": None,
            "media_mimetype": None,
            "media_filename": None,
            "ack": 2,
            "ack_name": "DEVICE",
            "timestamp": _at(1795887084),
        }
    ]


async def test_new_incoming_message_creates_its_contact_with_one_unread(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    await deliver(client, session.session_name, sample_body(TEXT))
    assert await _contacts(conn) == [
        {
            "phone_number": "15550002222",
            "chat_id": "15550002222@c.us",
            "name": "Alice",
            "last_message_at": _at(1795887084),
            "last_message_preview": "Hi, I need help with my order",
            "unread_count": 1,
        }
    ]


async def test_message_then_message_any_of_the_same_message_counts_one_unread(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    await deliver(client, session.session_name, sample_body(TEXT))
    echo = json.loads(sample_body(TEXT))
    echo.update(id="evt_message_any_copy", event="message.any")
    answer = await deliver(client, session.session_name, envelope_bytes(echo))
    assert answer.json() == {"outcome": "duplicate", "event": "message.any"}
    assert [(c["unread_count"], len(await _messages(conn))) for c in await _contacts(conn)] == [(1, 1)]


async def test_unsigned_delivery_is_401_and_stores_nothing(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = sample_body(TEXT)
    answer = await client.post(
        f"/webhooks/waha/{NAMESPACE}/{session.session_name}",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json()) == (
        401,
        {"error": "unauthorized", "detail": "missing X-Webhook-Hmac header"},
    )
    assert (await _messages(conn), await _contacts(conn), await _event_types(conn)) == ([], [], [])


async def test_delivery_signed_with_another_key_is_401_and_stores_nothing(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    answer = await deliver(client, session.session_name, sample_body(TEXT), key="not-the-session-key")
    assert (answer.status_code, answer.json()["detail"]) == (401, "X-Webhook-Hmac does not match the body")
    assert (await _messages(conn), await _event_types(conn)) == ([], [])


async def test_body_changed_after_signing_is_401(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = sample_body(TEXT)
    headers = signed_headers(body)
    forged = body.replace(b"I need help", b"I need cash")
    answer = await client.post(
        f"/webhooks/waha/{NAMESPACE}/{session.session_name}", content=forged, headers=headers
    )
    assert answer.status_code == 401
    assert await _messages(conn) == []


async def test_captured_signature_of_the_real_waha_is_accepted(
    client: httpx.AsyncClient, session: SessionRow, directory: MemoryDirectory
) -> None:
    """The original X-Webhook-Hmac of the capture, with the key WAHA used, passes unchanged."""
    from tests.conftest import load_waha_sample

    check = load_waha_sample("hmac-verification.json")
    sample = load_waha_sample(TEXT)
    directory.keys[session.session_name] = check["key_used_in_tests"]
    headers = {name: value for name, value in sample["headers"] if name.lower().startswith("x-webhook")}
    answer = await client.post(
        f"/webhooks/waha/{NAMESPACE}/{session.session_name}",
        content=sample["body_raw"].encode(),
        headers=headers,
    )
    assert answer.json() == {"outcome": "stored", "event": "message"}


async def test_unknown_session_is_404(client: httpx.AsyncClient, directory: MemoryDirectory) -> None:
    answer = await deliver(client, "no-such-session", sample_body(TEXT))
    assert (answer.status_code, answer.json()) == (404, {"error": "not_found", "detail": "unknown session"})


async def test_a_name_that_cannot_be_a_session_is_404_without_a_directory_lookup(
    client: httpx.AsyncClient, directory: MemoryDirectory
) -> None:
    directory.keys["Not_A_Session"] = "k"
    answer = await deliver(client, "Not_A_Session", sample_body(TEXT), key="k")
    assert (answer.status_code, answer.json()["detail"]) == (404, "unknown session")


async def test_session_with_a_key_but_no_row_is_404(
    client: httpx.AsyncClient, directory: MemoryDirectory, conn: asyncpg.Connection
) -> None:
    directory.keys["orphan"] = "k"
    answer = await deliver(client, "orphan", sample_body(TEXT), key="k")
    assert answer.status_code == 404
    assert await conn.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (TEXT, ("text", "Hi, I need help with my order", None, None, None)),
        (
            "webhook-2026-message-extended-text.json",
            ("text", "Order #123, see https://example.com/o/123", None, None, None),
        ),
        (
            "webhook-2026-message-image.json",
            (
                "image",
                "Photo of the receipt",
                "http://127.0.0.1:3000/api/files/default/3EB0AAAABBBBCCCC0004.jpeg",
                "image/jpeg",
                None,
            ),
        ),
        (
            "webhook-2026-message-document.json",
            (
                "document",
                None,
                "http://127.0.0.1:3000/api/files/default/3EB0AAAABBBBCCCC0006.pdf",
                "application/pdf",
                "invoice-123.pdf",
            ),
        ),
        (
            "webhook-2026-message-voice.json",
            (
                "audio",
                None,
                "http://127.0.0.1:3000/api/files/default/3EB0AAAABBBBCCCC0007.oga",
                "audio/ogg; codecs=opus",
                None,
            ),
        ),
        (
            "webhook-2026-global-message-no-download.json",
            ("image", "no-download test", None, "image/jpeg", None),
        ),
        ("webhook-2024-message-text.json", ("text", "Hi, I need help with my order", None, None, None)),
        (
            "webhook-2024-message-image.json",
            (
                "image",
                "Photo of the receipt",
                "http://127.0.0.1:3000/api/files/default/3EB0AAAABBBBCCCC0004.jpeg",
                "image/jpeg",
                None,
            ),
        ),
    ],
)
async def test_every_message_kind_is_stored_with_its_media(
    client: httpx.AsyncClient,
    session: SessionRow,
    conn: asyncpg.Connection,
    sample: str,
    expected: tuple[Any, ...],
) -> None:
    answer = await deliver(client, session.session_name, sample_body(sample))
    assert answer.json()["outcome"] == "stored"
    rows = await _messages(conn)
    keys = ("type", "body", "media_url", "media_mimetype", "media_filename")
    assert [tuple(row[k] for k in keys) for row in rows] == [expected]


async def test_media_message_preview_names_the_media_kind(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    await deliver(client, session.session_name, sample_body("webhook-2026-message-voice.json"))
    assert [c["last_message_preview"] for c in await _contacts(conn)] == ["[audio]"]


async def test_own_message_sent_via_api_is_from_me_and_not_unread(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    await deliver(client, session.session_name, sample_body(SENT))
    message = (await _messages(conn))[0]
    contact = (await _contacts(conn))[0]
    assert (message["message_id"], message["from_me"], message["from_number"], message["to_number"]) == (
        OWN_ID,
        True,
        "15550001111",
        "15550002222",
    )
    assert (contact["unread_count"], contact["name"], contact["last_message_preview"]) == (
        0,
        None,
        "Hello from WAHA",
    )


async def test_2024_own_message_with_a_long_timestamp_is_stored(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    """WAHA 2024.10.8 sends `{"low", "high", "unsigned"}` as the timestamp of API-sent messages."""
    await deliver(client, session.session_name, sample_body("webhook-2024-message.any-sent-via-api.json"))
    assert [(m["timestamp"], m["from_me"]) for m in await _messages(conn)] == [(_at(1795886369), True)]


async def test_2024_delivery_without_envelope_id_is_deduped_on_the_message_id(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = sample_body("webhook-2024-message-text.json")
    outcomes = [(await deliver(client, session.session_name, body)).json()["outcome"] for _ in range(3)]
    assert outcomes == ["stored", "duplicate", "duplicate"]
    assert [c["unread_count"] for c in await _contacts(conn)] == [1]


async def test_acks_move_forward_only(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    await deliver(client, session.session_name, sample_body(SENT))
    read = await deliver(client, session.session_name, sample_body("webhook-2026-message.ack-READ.json"))
    late_device = await deliver(
        client, session.session_name, sample_body("webhook-2026-message.ack-DEVICE.json")
    )
    assert [read.json()["outcome"], late_device.json()["outcome"]] == ["stored", "ignored"]
    assert [(m["ack"], m["ack_name"]) for m in await _messages(conn)] == [(3, "READ")]
    assert await _event_types(conn) == ["message", "ack"]


async def test_ack_for_an_unknown_message_changes_nothing(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    answer = await deliver(client, session.session_name, sample_body("webhook-2026-message.ack-READ.json"))
    assert answer.json() == {"outcome": "ignored", "event": "message.ack"}
    assert (await _messages(conn), await _event_types(conn)) == ([], [])


@pytest.mark.parametrize(
    "sample",
    [
        "webhook-2026-session.status-STARTING.json",
        "webhook-2026-session.status-SCAN_QR_CODE.json",
        "webhook-2026-session.status-WORKING.json",
        "webhook-2026-session.status-FAILED.json",
        "webhook-2026-session.status-STOPPED.json",
        "webhook-2024-session.status-WORKING.json",
    ],
)
async def test_session_status_only_nudges_the_operator(
    client: httpx.AsyncClient,
    session: SessionRow,
    conn: asyncpg.Connection,
    directory: MemoryDirectory,
    sample: str,
) -> None:
    """The row is the resource's projection: a status webhook leaves it exactly as it was."""
    before = await conn.fetchrow("SELECT * FROM whatsapp_sessions WHERE id = $1", session.id)
    answer = await deliver(client, session.session_name, sample_body(sample))
    waha_status = json.loads(sample_body(sample))["payload"]["status"]
    after = await conn.fetchrow("SELECT * FROM whatsapp_sessions WHERE id = $1", session.id)
    assert (answer.status_code, dict(after), directory.nudges) == (
        200,
        dict(before),
        [(session.session_name, waha_status)],
    )


async def test_a_status_webhook_emits_no_session_event(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    """The one `session` event comes from the projection once the operator wrote the new status."""
    await deliver(client, session.session_name, sample_body("webhook-2026-session.status-WORKING.json"))
    assert await _event_types(conn) == []


async def test_qr_status_tells_the_owner_a_new_qr_is_shown(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    await deliver(client, session.session_name, sample_body("webhook-2026-session.status-SCAN_QR_CODE.json"))
    rows = await conn.fetch("SELECT user_id, type, data FROM events ORDER BY id")
    base = {"session_id": str(session.id), "session_name": session.session_name}
    assert [(r["user_id"], r["type"], r["data"]) for r in rows] == [
        (session.user_id, "qr", {**base, "waha_status": "SCAN_QR_CODE"}),
    ]


async def test_a_webhook_for_another_namespace_is_404(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    """Same-named sessions in two namespaces never get each other's deliveries."""
    body = sample_body(TEXT)
    answer = await client.post(
        f"/webhooks/waha/other-namespace/{session.session_name}", content=body, headers=signed_headers(body)
    )
    assert (answer.status_code, await _messages(conn)) == (404, [])


async def test_reaction_is_a_live_event(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    await deliver(client, session.session_name, sample_body("webhook-2026-message.reaction-incoming.json"))
    rows = await conn.fetch("SELECT type, data FROM events")
    assert [(r["type"], r["data"]) for r in rows] == [
        (
            "reaction",
            {
                "session_id": str(session.id),
                "session_name": session.session_name,
                "chat_id": "15550002222@c.us",
                "message_id": OWN_ID,
                "reaction": "👍",
                "from_me": False,
            },
        )
    ]


async def test_presence_update_is_accepted_and_not_stored(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    answer = await deliver(
        client, session.session_name, sample_body("webhook-2026-presence.update-typing.json")
    )
    assert (answer.status_code, answer.json()) == (200, {"outcome": "ignored", "event": "presence.update"})
    assert (await _messages(conn), await _event_types(conn)) == ([], [])


async def test_malformed_json_is_400_and_stores_nothing(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    answer = await deliver(client, session.session_name, b'{"event": "message", "payload": ')
    assert (answer.status_code, answer.json()["error"]) == (400, "bad_request")
    assert await conn.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


async def test_message_payload_missing_fields_is_422_and_stores_nothing(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    envelope = json.loads(sample_body(TEXT))
    del envelope["payload"]["from"]
    answer = await deliver(client, session.session_name, envelope_bytes(envelope))
    assert (answer.status_code, answer.json()["detail"]) == (
        422,
        [{"loc": ["payload", "from"], "msg": "Field required"}],
    )
    assert (await _messages(conn), await conn.fetchval("SELECT count(*) FROM webhook_deliveries")) == ([], 0)


async def test_same_delivery_concurrently_stores_one_row(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = sample_body(TEXT)
    answers = await asyncio.gather(*(deliver(client, session.session_name, body) for _ in range(8)))
    assert sorted(a.json()["outcome"] for a in answers) == ["duplicate"] * 7 + ["stored"]
    assert (len(await _messages(conn)), [c["unread_count"] for c in await _contacts(conn)]) == (1, [1])


async def test_same_message_in_distinct_envelopes_concurrently_counts_once(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    bodies = [retimed(TEXT, event_id=f"evt_copy_{n}") for n in range(8)]
    answers = await asyncio.gather(*(deliver(client, session.session_name, b) for b in bodies))
    assert sorted(a.json()["outcome"] for a in answers) == ["duplicate"] * 7 + ["stored"]
    assert [c["unread_count"] for c in await _contacts(conn)] == [1]
    assert await _event_types(conn) == ["message"]


async def test_other_sessions_deliveries_are_kept_apart(
    client: httpx.AsyncClient,
    session: SessionRow,
    conn: asyncpg.Connection,
    db_pool: asyncpg.Pool,
    directory: MemoryDirectory,
) -> None:
    """The same captured delivery for two sessions is two messages: dedupe is per session."""
    other = await make_session(db_pool, directory, user_id=uuid.uuid4())
    for name in (session.session_name, other.session_name):
        assert (await deliver(client, name, sample_body(TEXT))).json()["outcome"] == "stored"
    owners = await conn.fetch("SELECT session_id FROM messages ORDER BY id")
    assert [r["session_id"] for r in owners] == [session.id, other.id]


# --- issue 11: a contact's content is never the reason a delivery is lost ------------------------------


def _with_payload(name: str, event_id: str, **changes: Any) -> bytes:
    envelope = json.loads(sample_body(name))
    envelope["id"] = event_id
    for key, value in changes.items():
        target = envelope["payload"]
        *path, last = key.split("__")
        for part in path:
            target = target[part]
        target[last] = value
    return envelope_bytes(envelope)


async def test_a_text_with_nul_is_stored_without_it_and_keeps_its_length(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = _with_payload(TEXT, "evt_nul", body="Hi\x00 there\x00")
    answer = await deliver(client, session.session_name, body)
    assert (answer.status_code, answer.json()) == (200, {"outcome": "stored", "event": "message"})
    row = await conn.fetchrow("SELECT body, body_original_length FROM messages")
    assert dict(row) == {"body": "Hi there", "body_original_length": 10}
    event = await conn.fetchval("SELECT data FROM events WHERE type = 'message'")
    assert event["message"]["body"] == "Hi there"


async def test_half_an_emoji_is_stored_as_a_replacement_character(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    """JavaScript's JSON.stringify writes a lone surrogate as an escape (`\\ud83d`), which the fast
    decoder refuses: the delivery is still stored, sanitised, never a 400 WAHA would retry forever."""
    envelope = json.loads(sample_body(TEXT)) | {"id": "evt_half_emoji"}
    envelope["payload"]["body"] = "Hi \ud83d"
    body = json.dumps(envelope).encode()  # ASCII: the surrogate escaped, as JavaScript writes it
    answer = await deliver(client, session.session_name, body)
    assert (answer.status_code, answer.json()) == (200, {"outcome": "stored", "event": "message"})
    row = await conn.fetchrow("SELECT body, body_original_length FROM messages")
    assert dict(row) == {"body": "Hi \ufffd", "body_original_length": 4}


async def test_a_text_stored_as_received_keeps_no_original_length(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    await deliver(client, session.session_name, sample_body(TEXT))
    assert await conn.fetchval("SELECT body_original_length FROM messages") is None


async def test_a_redelivered_text_with_nul_is_a_duplicate(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = _with_payload(TEXT, "evt_nul_twice", body="a\x00b")
    answers = [(await deliver(client, session.session_name, body)).json()["outcome"] for _ in range(2)]
    assert answers == ["stored", "duplicate"]
    assert await conn.fetchval("SELECT count(*) FROM messages") == 1


async def test_a_profile_name_with_nul_is_stored_without_it(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = _with_payload(TEXT, "evt_name", _data__pushName="Al\x00ice")
    assert (await deliver(client, session.session_name, body)).status_code == 200
    assert await conn.fetchval("SELECT name FROM contacts") == "Alice"


async def test_a_reaction_with_nul_is_a_live_event_without_it(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = _with_payload("webhook-2026-message.reaction-incoming.json", "evt_react", reaction__text="\x00👍")
    assert (await deliver(client, session.session_name, body)).json()["outcome"] == "stored"
    assert (await conn.fetchval("SELECT data FROM events"))["reaction"] == "👍"


@pytest.fixture
async def refusing_db(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """PostgreSQL refuses any message whose body is `poison` (a check it enforces, as it would any data
    error), so a valid delivery cannot be stored."""
    await conn.execute("ALTER TABLE messages ADD CONSTRAINT test_poison CHECK (body <> 'poison')")
    yield
    await conn.execute("ALTER TABLE messages DROP CONSTRAINT test_poison")


async def _dead_letters(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT session_name, envelope_id, event, reason, body FROM webhook_dead_letters")
    return [dict(row) for row in rows]


@pytest.mark.usefixtures("refusing_db")
async def test_a_delivery_that_cannot_be_stored_is_dead_lettered_then_acknowledged(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = _with_payload(TEXT, "evt_poison", body="poison")
    answer = await deliver(client, session.session_name, body)
    assert (answer.status_code, answer.json()) == (200, {"outcome": "dead_lettered", "event": "message"})
    [letter] = await _dead_letters(conn)
    assert letter["reason"].startswith("CheckViolationError: ")
    assert {**letter, "reason": None} == {
        "session_name": session.session_name,
        "envelope_id": "evt_poison",
        "event": "message",
        "reason": None,
        "body": body,
    }
    assert await conn.fetchval("SELECT count(*) FROM messages") == 0
    assert await conn.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


@pytest.mark.usefixtures("refusing_db")
async def test_a_retried_dead_letter_is_kept_once(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = _with_payload(TEXT, "evt_poison_retried", body="poison")
    outcomes = [(await deliver(client, session.session_name, body)).json()["outcome"] for _ in range(3)]
    assert outcomes == ["dead_lettered"] * 3
    assert len(await _dead_letters(conn)) == 1


@pytest.mark.usefixtures("refusing_db")
async def test_a_dead_letter_is_counted_and_logged_with_its_envelope_id(
    client: httpx.AsyncClient, session: SessionRow
) -> None:
    labels = {"event": "message", "outcome": "dead_lettered"}
    before = REGISTRY.get_sample_value("conectafy_api_webhook_deliveries_total", labels) or 0
    with structlog.testing.capture_logs() as logs:
        await deliver(client, session.session_name, _with_payload(TEXT, "evt_poison_logged", body="poison"))
    after = REGISTRY.get_sample_value("conectafy_api_webhook_deliveries_total", labels)
    assert after == before + 1
    [line] = [entry for entry in logs if entry["event"] == "webhook delivery dead-lettered"]
    assert (line["log_level"], line["envelope_id"], line["session"]) == (
        "error",
        "evt_poison_logged",
        session.session_name,
    )


# --- the endpoint answers above the middleware (issue 13): it keeps their limits, errors and metrics -----


async def test_a_get_on_the_webhook_path_is_json_405(client: httpx.AsyncClient, session: SessionRow) -> None:
    answer = await client.get(f"/webhooks/waha/{NAMESPACE}/{session.session_name}")
    assert (answer.status_code, answer.headers["allow"], answer.json()) == (
        405,
        "POST",
        {"error": "method_not_allowed", "detail": "Method Not Allowed"},
    )


async def test_an_oversized_delivery_is_413_and_stores_nothing(
    client: httpx.AsyncClient, session: SessionRow, conn: asyncpg.Connection
) -> None:
    body = _with_payload(TEXT, "evt_huge", body="x" * (4 * 1024 * 1024))
    answer = await deliver(client, session.session_name, body)
    assert (answer.status_code, answer.json()) == (
        413,
        {"error": "payload_too_large", "detail": "request body exceeds 4194304 bytes"},
    )
    assert await conn.fetchval("SELECT count(*) FROM messages") == 0


async def test_an_oversized_streamed_delivery_is_413(client: httpx.AsyncClient, session: SessionRow) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * (1024 * 1024)

    answer = await client.post(f"/webhooks/waha/{NAMESPACE}/{session.session_name}", content=chunks())
    assert answer.status_code == 413


async def test_a_delivery_that_fails_unexpectedly_is_a_logged_json_500(
    client: httpx.AsyncClient, session: SessionRow, directory: MemoryDirectory
) -> None:
    async def broken(session_name: str) -> str | None:
        raise RuntimeError("directory down")

    directory.webhook_key = broken  # type: ignore[method-assign]
    with structlog.testing.capture_logs() as logs:
        answer = await deliver(client, session.session_name, sample_body(TEXT))
    assert (answer.status_code, answer.json()) == (
        500,
        {"error": "internal", "detail": "internal server error"},
    )
    assert [entry["log_level"] for entry in logs if entry["event"] == "unhandled error"] == ["error"]


async def test_a_delivery_is_counted_under_its_route_template(
    client: httpx.AsyncClient, session: SessionRow
) -> None:
    labels = {"method": "POST", "route": "/webhooks/waha/{namespace}/{session}", "status": "200"}
    before = REGISTRY.get_sample_value("conectafy_api_http_requests_total", labels) or 0
    await deliver(client, session.session_name, sample_body(TEXT))
    assert REGISTRY.get_sample_value("conectafy_api_http_requests_total", labels) == before + 1
