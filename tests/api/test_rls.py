"""Row-level security as Supabase clients see it: role `authenticated`, `auth.uid()` from the JWT claims."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import pytest

from .conftest import UserFactory


@dataclass(frozen=True)
class Tenant:
    user_id: uuid.UUID
    session_id: uuid.UUID


async def _seed_tenant(pool: asyncpg.Pool, name: str) -> Tenant:
    """One user with one session, one message, one contact and one event, written as the table owner."""
    user_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        session_id = await conn.fetchval(
            "INSERT INTO whatsapp_sessions (user_id, session_name) VALUES ($1, $2) RETURNING id",
            user_id,
            name,
        )
        await conn.execute(
            """INSERT INTO messages (session_id, chat_id, message_id, body, "timestamp")
               VALUES ($1, '5511999990000@c.us', $2, 'hello', $3)""",
            session_id,
            f"msg-{name}",
            datetime.now(UTC),
        )
        await conn.execute(
            """INSERT INTO contacts (session_id, phone_number, chat_id)
               VALUES ($1, '5511999990000', '5511999990000@c.us')""",
            session_id,
        )
        await conn.execute("INSERT INTO events (user_id, type) VALUES ($1, 'test')", user_id)
    return Tenant(user_id, session_id)


@pytest.fixture
async def tenants(db_pool: asyncpg.Pool) -> AsyncIterator[tuple[Tenant, Tenant]]:
    async with db_pool.acquire() as conn:
        # A non-superuser owner needs membership to SET ROLE (PostgreSQL 16+ does not grant it implicitly).
        if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            await conn.execute("GRANT authenticated TO CURRENT_USER")
    yield await _seed_tenant(db_pool, "alpha"), await _seed_tenant(db_pool, "beta")


async def _as_user(conn: asyncpg.Connection, user_id: uuid.UUID | None) -> None:
    """What PostgREST does per request: switch to `authenticated` and publish the JWT claims."""
    await conn.execute("SET LOCAL ROLE authenticated")
    claims = json.dumps({"sub": str(user_id), "role": "authenticated"}) if user_id else ""
    await conn.execute("SELECT set_config('request.jwt.claims', $1, true)", claims)


TABLE_OWNERSHIP = {
    "whatsapp_sessions": "SELECT id AS session_id FROM whatsapp_sessions",
    "messages": "SELECT session_id FROM messages",
    "contacts": "SELECT session_id FROM contacts",
}


@pytest.mark.parametrize("table", sorted(TABLE_OWNERSHIP))
async def test_user_sees_only_own_rows(
    db_pool: asyncpg.Pool, tenants: tuple[Tenant, Tenant], table: str
) -> None:
    alpha, _beta = tenants
    async with db_pool.acquire() as conn, conn.transaction():
        await _as_user(conn, alpha.user_id)
        rows = await conn.fetch(TABLE_OWNERSHIP[table])
    assert [row["session_id"] for row in rows] == [alpha.session_id]


async def test_user_sees_only_own_events(db_pool: asyncpg.Pool, tenants: tuple[Tenant, Tenant]) -> None:
    _alpha, beta = tenants
    async with db_pool.acquire() as conn, conn.transaction():
        await _as_user(conn, beta.user_id)
        rows = await conn.fetch("SELECT user_id, type FROM events")
    assert [(row["user_id"], row["type"]) for row in rows] == [(beta.user_id, "test")]


async def test_anonymous_claims_see_nothing(db_pool: asyncpg.Pool, tenants: tuple[Tenant, Tenant]) -> None:
    async with db_pool.acquire() as conn, conn.transaction():
        await _as_user(conn, None)
        counts = [await conn.fetchval(f"SELECT count(*) FROM {table}") for table in sorted(TABLE_OWNERSHIP)]
    assert counts == [0, 0, 0]


async def test_user_cannot_write_into_another_users_session(
    db_pool: asyncpg.Pool, tenants: tuple[Tenant, Tenant]
) -> None:
    alpha, beta = tenants
    async with db_pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with conn.transaction():
                await _as_user(conn, alpha.user_id)
                await conn.execute(
                    """INSERT INTO messages (session_id, chat_id, message_id, "timestamp")
                       VALUES ($1, 'x@c.us', 'intruder', now())""",
                    beta.session_id,
                )
        stored = await conn.fetchval("SELECT count(*) FROM messages WHERE message_id = 'intruder'")
    assert stored == 0


async def test_user_cannot_update_another_users_session(
    db_pool: asyncpg.Pool, tenants: tuple[Tenant, Tenant]
) -> None:
    alpha, beta = tenants
    async with db_pool.acquire() as conn:
        async with conn.transaction():
            await _as_user(conn, alpha.user_id)
            result = await conn.execute(
                "UPDATE whatsapp_sessions SET display_name = 'hijacked' WHERE id = $1", beta.session_id
            )
        display_name = await conn.fetchval(
            "SELECT display_name FROM whatsapp_sessions WHERE id = $1", beta.session_id
        )
    assert (result, display_name) == ("UPDATE 0", None)


async def test_auth_uid_reads_the_sub_claim(db_pool: asyncpg.Pool) -> None:
    user_id = uuid.uuid4()
    async with db_pool.acquire() as conn, conn.transaction():
        claims = json.dumps({"sub": str(user_id)})
        await conn.execute("SELECT set_config('request.jwt.claims', $1, true)", claims)
        assert await conn.fetchval("SELECT auth.uid()") == user_id


@pytest.mark.parametrize("table", ["users", "refresh_tokens", "webhook_deliveries", "schema_migrations"])
async def test_private_tables_stay_private_even_when_granted(
    db_pool: asyncpg.Pool, tenants: tuple[Tenant, Tenant], user_factory: UserFactory, table: str
) -> None:
    """Supabase grants every public table to `authenticated` by default; RLS must still hide the rows."""
    alpha, _beta = tenants
    user_id, _ = await user_factory()
    await db_pool.execute(
        "INSERT INTO webhook_deliveries (session_id, event_id) VALUES ($1, 'evt')", alpha.session_id
    )
    async with db_pool.acquire() as conn:
        owner_sees = await conn.fetchval(f"SELECT count(*) FROM {table}")
        async with conn.transaction():
            await conn.execute(f"GRANT SELECT ON {table} TO authenticated")
            await _as_user(conn, user_id)
            visible = await conn.fetchval(f"SELECT count(*) FROM {table}")
            await conn.execute("RESET ROLE")
            await conn.execute(f"REVOKE SELECT ON {table} FROM authenticated")
    assert (owner_sees > 0, visible) == (True, 0)
