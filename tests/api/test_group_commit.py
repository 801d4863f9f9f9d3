"""GroupCommit: many deliveries per transaction, each answered after its commit, failures kept apart."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from conectafy.api.services.group_commit import BatchStatement, GroupCommit
from conectafy.api.store.deliveries import (
    MESSAGE_BATCH_SQL,
    MESSAGE_DELIVERY_SQL,
    message_batch,
    message_delivery,
    message_delivery_args,
)
from conectafy.api.store.messages import NewMessage
from conectafy.api.store.sessions import SessionRow
from tests.api.dataplane import MemoryDirectory, make_session, make_user_id

#: Which transaction ran each statement (txid_current is the same for every statement of one).
PROBE = "SELECT $1::int AS n, txid_current() AS tx"


@pytest.fixture(params=["one statement per batch", "statements in a transaction"])
def batch_sql(request: pytest.FixtureRequest) -> BatchStatement | None:
    """Both ways a batch runs: MESSAGE_BATCH_SQL, or each delivery's statement between BEGIN/COMMIT."""
    return (
        BatchStatement(MESSAGE_BATCH_SQL, message_batch)
        if request.param == "one statement per batch"
        else None
    )


@pytest.fixture
async def session(db_pool: asyncpg.Pool) -> SessionRow:
    return await make_session(db_pool, MemoryDirectory(), user_id=await make_user_id(db_pool))


def _delivery(
    session_name: str, n: int, *, event_id: str | None = None, type: str = "text", body: str | None = None
) -> tuple[Any, ...]:
    message = NewMessage(
        chat_id=f"1555000{n:04d}@c.us",
        message_id=f"false_1555000{n:04d}@c.us_M{n}",
        from_me=False,
        timestamp=datetime(2026, 3, 1, tzinfo=UTC),
        type=type,  # type: ignore[arg-type]  # a type the table refuses makes a failing delivery
        body=body or f"message {n}",
    )
    return message_delivery_args(
        session_name=session_name,
        event_id=event_id or f"evt_{n}",
        message=message,
        phone_number=f"1555000{n:04d}",
        contact_name=None,
        preview=f"message {n}",
    )


async def _counts(pool: asyncpg.Pool) -> dict[str, int]:
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM contacts) AS contacts,"
        " (SELECT count(*) FROM events) AS events"
    )
    return dict(row)


async def test_concurrent_calls_share_transactions(db_pool: asyncpg.Pool) -> None:
    """The first call commits alone (nothing else queued yet); the 19 that queued meanwhile share one."""
    writer = GroupCommit(db_pool, PROBE, max_in_flight=1)
    rows = await asyncio.gather(*(writer.fetchrow(n) for n in range(20)))
    assert [row["n"] for row in rows] == list(range(20))
    assert sorted(Counter(row["tx"] for row in rows).values()) == [1, 19]


async def test_a_batch_never_exceeds_max_batch(db_pool: asyncpg.Pool) -> None:
    writer = GroupCommit(db_pool, PROBE, max_batch=5, max_in_flight=1)
    rows = await asyncio.gather(*(writer.fetchrow(n) for n in range(16)))
    assert sorted(Counter(row["tx"] for row in rows).values()) == [1, 5, 5, 5]


async def test_a_failing_delivery_fails_alone_and_the_others_are_stored(
    db_pool: asyncpg.Pool, session: SessionRow, batch_sql: BatchStatement | None
) -> None:
    writer = GroupCommit(db_pool, MESSAGE_DELIVERY_SQL, batch=batch_sql, max_in_flight=1)
    args = [_delivery(session.session_name, n, type="sticker" if n == 5 else "text") for n in range(10)]
    answers = await asyncio.gather(*(writer.fetchrow(*a) for a in args), return_exceptions=True)
    failed = [n for n, answer in enumerate(answers) if isinstance(answer, BaseException)]
    assert (failed, type(answers[5])) == ([5], asyncpg.CheckViolationError)
    assert await _counts(db_pool) == {"messages": 9, "contacts": 9, "events": 9}


async def test_a_delivery_the_batch_cannot_encode_fails_alone(
    db_pool: asyncpg.Pool, session: SessionRow, batch_sql: BatchStatement | None
) -> None:
    """orjson refuses a lone surrogate, so the batch is stored one by one: PostgreSQL refuses that
    delivery alone (a data error, which the webhook dead-letters) and stores the others."""
    writer = GroupCommit(db_pool, MESSAGE_DELIVERY_SQL, batch=batch_sql, max_in_flight=1)
    args = [_delivery(session.session_name, n, body="\ud800" if n == 5 else None) for n in range(10)]
    answers = await asyncio.gather(*(writer.fetchrow(*a) for a in args), return_exceptions=True)
    failed = [n for n, answer in enumerate(answers) if isinstance(answer, BaseException)]
    assert (failed, isinstance(answers[5], asyncpg.DataError)) == ([5], True)
    assert await _counts(db_pool) == {"messages": 9, "contacts": 9, "events": 9}


async def test_a_failed_delivery_retried_is_stored(
    db_pool: asyncpg.Pool, session: SessionRow, batch_sql: BatchStatement | None
) -> None:
    """The failing delivery's envelope id was rolled back with it, so WAHA's retry is not a duplicate."""
    writer = GroupCommit(db_pool, MESSAGE_DELIVERY_SQL, batch=batch_sql)
    with pytest.raises(asyncpg.CheckViolationError):
        await writer.fetchrow(*_delivery(session.session_name, 1, type="sticker"))
    stored = message_delivery(await writer.fetchrow(*_delivery(session.session_name, 1)))
    assert stored is not None and stored.message_row_id is not None


async def test_copies_of_one_delivery_in_one_batch_store_it_once(
    db_pool: asyncpg.Pool, session: SessionRow, batch_sql: BatchStatement | None
) -> None:
    writer = GroupCommit(db_pool, MESSAGE_DELIVERY_SQL, batch=batch_sql, max_in_flight=1)
    args = _delivery(session.session_name, 1)
    rows = await asyncio.gather(*(writer.fetchrow(*args) for _ in range(8)))
    stored = [message_delivery(row) for row in rows]
    assert sorted(s.message_row_id is not None for s in stored if s) == [False] * 7 + [True]
    assert await _counts(db_pool) == {"messages": 1, "contacts": 1, "events": 1}


async def test_one_message_in_distinct_envelopes_across_writers_counts_once(
    db_pool: asyncpg.Pool, session: SessionRow, batch_sql: BatchStatement | None
) -> None:
    """Two writers (two API replicas) racing with copies of one message: one row, one unread."""
    writers = [GroupCommit(db_pool, MESSAGE_DELIVERY_SQL, batch=batch_sql) for _ in range(2)]
    calls = [
        writers[n % 2].fetchrow(*_delivery(session.session_name, 1, event_id=f"evt_copy_{n}"))
        for n in range(8)
    ]
    stored = [message_delivery(row) for row in await asyncio.gather(*calls)]
    assert sum(s is not None and s.message_row_id is not None for s in stored) == 1
    assert await db_pool.fetchval("SELECT unread_count FROM contacts") == 1


async def test_a_cancelled_caller_does_not_strand_the_batch(db_pool: asyncpg.Pool) -> None:
    """The commit runs in its own task: cancelling the caller that leads it still answers the rest."""
    writer = GroupCommit(db_pool, "SELECT $1::int AS n, pg_sleep(0.05)", max_in_flight=1)
    leader = asyncio.create_task(writer.fetchrow(0))
    await asyncio.sleep(0)  # the leader takes its batch and starts the commit
    followers = [asyncio.create_task(writer.fetchrow(n)) for n in range(1, 4)]
    await asyncio.sleep(0)  # the followers queue behind the leader's commit
    leader.cancel()
    rows = await asyncio.wait_for(asyncio.gather(*followers), timeout=10)
    assert [row["n"] for row in rows] == [1, 2, 3]
