"""The one-statement message delivery (store.deliveries): rows, dedupe, and the live event's JSON."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest

from conectafy.api.schemas.chats import MessagePublic
from conectafy.api.store import contacts
from conectafy.api.store.deliveries import (
    MESSAGE_BATCH_SQL,
    MESSAGE_DELIVERY_SQL,
    MessageDelivery,
    message_batch,
    message_delivery,
    message_delivery_args,
)
from conectafy.api.store.messages import NewMessage
from conectafy.api.store.sessions import SessionRow
from tests.api.dataplane import MemoryDirectory, make_session, make_user_id

AT = datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC)


def _args(
    session_name: str, *, event_id: str | None, message_id: str = "false_1555@c.us_A1"
) -> tuple[Any, ...]:
    message = NewMessage(
        chat_id="15550002222@c.us",
        message_id=message_id,
        from_me=False,
        timestamp=AT,
        body="hello",
        from_number="15550002222",
        to_number="15550001111",
        ack=2,
        ack_name="DEVICE",
    )
    return message_delivery_args(
        session_name=session_name,
        event_id=event_id,
        message=message,
        phone_number="15550002222",
        contact_name="Alice",
        preview="hello",
    )


@pytest.fixture
async def session(db_pool: asyncpg.Pool) -> SessionRow:
    return await make_session(db_pool, MemoryDirectory(), user_id=await make_user_id(db_pool))


async def _deliver(pool: asyncpg.Pool, args: tuple[Any, ...]) -> MessageDelivery | None:
    return message_delivery(await pool.fetchrow(MESSAGE_DELIVERY_SQL, *args))


@pytest.mark.parametrize(
    "moment",
    [
        AT,
        AT.replace(microsecond=120000),
        AT.replace(microsecond=5),
        datetime(2026, 3, 1, 9, 30, 5, 250, tzinfo=timezone(timedelta(hours=-3))),
    ],
)
async def test_sql_time_json_is_what_pydantic_writes(db_pool: asyncpg.Pool, moment: datetime) -> None:
    """Whatever the connection's TimeZone, the SQL text equals MessagePublic's JSON of the value the
    API reads back for that instant (asyncpg decodes timestamptz in UTC)."""
    async with db_pool.acquire() as conn:
        await conn.execute("SET TimeZone = 'America/Sao_Paulo'")
        row = await conn.fetchrow("SELECT conectafy_json_time($1) AS text, $1::timestamptz AS at", moment)
        await conn.execute("RESET TimeZone")
    assert row["text"] == _public(row["at"]).model_dump(mode="json")["created_at"]


def _public(created_at: datetime) -> MessagePublic:
    return MessagePublic(
        id=1, session_id=uuid.uuid4(), chat_id="c", message_id="m", from_me=False, from_number=None,
        to_number=None, body=None, type="text", media_url=None, media_mimetype=None, media_filename=None,
        ack=None, ack_name=None, timestamp=created_at, created_at=created_at,
    )  # fmt: skip


async def test_new_message_logs_the_event_the_api_would_serialise(
    db_pool: asyncpg.Pool, session: SessionRow
) -> None:
    stored = await _deliver(db_pool, _args(session.session_name, event_id="evt_1"))
    assert stored is not None and stored.message_row_id is not None
    row = await db_pool.fetchrow("SELECT * FROM messages WHERE id = $1", stored.message_row_id)
    event = await db_pool.fetchrow("SELECT id, user_id, type, data FROM events")
    assert dict(event) == {
        "id": stored.event_id,
        "user_id": session.user_id,
        "type": "message",
        "data": {
            "session_id": str(session.id),
            "session_name": session.session_name,
            "chat_id": "15550002222@c.us",
            "message": MessagePublic.model_validate(dict(row)).model_dump(mode="json"),
        },
    }


async def test_new_message_answers_its_session_and_rows(db_pool: asyncpg.Pool, session: SessionRow) -> None:
    stored = await _deliver(db_pool, _args(session.session_name, event_id="evt_1"))
    ids = await db_pool.fetchrow("SELECT (SELECT id FROM messages) AS m, (SELECT id FROM events) AS e")
    assert stored == MessageDelivery(session.id, session.user_id, ids["m"], ids["e"])


async def test_redelivered_envelope_writes_nothing_more(db_pool: asyncpg.Pool, session: SessionRow) -> None:
    await _deliver(db_pool, _args(session.session_name, event_id="evt_1"))
    again = await _deliver(db_pool, _args(session.session_name, event_id="evt_1", message_id="other"))
    counts = await db_pool.fetchrow(
        "SELECT (SELECT count(*) FROM messages) AS m, (SELECT count(*) FROM events) AS e,"
        " (SELECT unread_count FROM contacts) AS unread"
    )
    assert (again, dict(counts)) == (
        MessageDelivery(session.id, session.user_id, None, None),
        {"m": 1, "e": 1, "unread": 1},
    )


async def test_same_message_without_envelope_id_is_deduped_on_the_message_id(
    db_pool: asyncpg.Pool, session: SessionRow
) -> None:
    first = await _deliver(db_pool, _args(session.session_name, event_id=None))
    second = await _deliver(db_pool, _args(session.session_name, event_id=None))
    assert (first is not None and first.message_row_id is not None, second) == (
        True,
        MessageDelivery(session.id, session.user_id, None, None),
    )


async def test_unknown_session_writes_nothing(db_pool: asyncpg.Pool) -> None:
    assert await _deliver(db_pool, _args("wa-nobody", event_id="evt_1")) is None
    assert await db_pool.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


async def test_event_is_announced_on_commit(db_pool: asyncpg.Pool, session: SessionRow) -> None:
    """pg_notify inside the statement: the listener hears the stored event's id and owner."""
    heard: list[str] = []
    async with db_pool.acquire() as listener:
        await listener.add_listener("conectafy_events", lambda *a: heard.append(a[3]))
        stored = await _deliver(db_pool, _args(session.session_name, event_id="evt_1"))
        await listener.execute("SELECT 1")  # a round trip: notifications sent before it have arrived
        await listener.reset()
    assert stored is not None
    assert heard == [f'{{"id" : {stored.event_id}, "user_id" : "{session.user_id}"}}']


async def test_batch_answers_each_delivery_in_order(db_pool: asyncpg.Pool, session: SessionRow) -> None:
    """One statement for many: a row per delivery, in order, deduping against earlier ones in the batch,
    an unknown session answered with an all-NULL row."""
    name = session.session_name
    batch = [
        _args(name, event_id="evt_1"),
        _args("wa-nobody", event_id="evt_2"),
        _args(name, event_id="evt_1"),
        _args(name, event_id="evt_3", message_id="false_1555@c.us_A2"),
        _args(name, event_id="evt_4", message_id="false_1555@c.us_A2"),
    ]
    rows = await db_pool.fetch(MESSAGE_BATCH_SQL, *message_batch(batch))
    ids = [r["id"] for r in await db_pool.fetch("SELECT id FROM messages ORDER BY id")]
    assert [message_delivery(row) for row in rows] == [
        MessageDelivery(session.id, session.user_id, ids[0], rows[0]["event_id"]),
        None,
        MessageDelivery(session.id, session.user_id, None, None),
        MessageDelivery(session.id, session.user_id, ids[1], rows[3]["event_id"]),
        MessageDelivery(session.id, session.user_id, None, None),
    ]
    assert await db_pool.fetchval("SELECT unread_count FROM contacts") == 2


async def test_function_refreshes_contacts_like_the_store_does(db_pool: asyncpg.Pool) -> None:
    """Migration 0004 repeats contacts.ON_CONFLICT_REFRESH (a migration cannot import it): keep them equal."""
    source = await db_pool.fetchval("SELECT prosrc FROM pg_proc WHERE proname = 'conectafy_ingest_message'")
    assert " ".join(contacts.ON_CONFLICT_REFRESH.split()) in " ".join(source.split())
