"""The API's only door to PostgreSQL: one asyncpg pool per process, with JSON codecs installed."""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

Pool = asyncpg.Pool
Connection = asyncpg.Connection


async def _init_connection(conn: asyncpg.Connection) -> None:
    """jsonb/json columns come and go as Python objects, so store code never hand-serialises (read with
    orjson, several times faster: every live event's data is decoded on the way to the browsers)."""
    for type_name in ("jsonb", "json"):
        await conn.set_type_codec(type_name, encoder=json.dumps, decoder=orjson.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open the pool; fails fast (asyncpg raises) when the database cannot be reached."""
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=30
    )
    assert pool is not None  # create_pool returns None only when called without awaiting
    return pool


async def ping(pool: asyncpg.Pool) -> None:
    """A round trip to the database; raises when it is not reachable."""
    async with pool.acquire(timeout=5) as conn:
        await conn.fetchval("SELECT 1")


def with_database(dsn: str, database: str) -> str:
    """The same server and credentials, another database (works for TCP and Unix-socket DSNs)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def pool_in_use(pool: asyncpg.Pool) -> int:
    """Connections lent out now (open minus idle)."""
    return int(pool.get_size() - pool.get_idle_size())


def pool_waiting(pool: asyncpg.Pool) -> int:
    """Acquirers queued for a connection. asyncpg has no public counter: its holder queue's waiters."""
    getters = getattr(getattr(pool, "_queue", None), "_getters", None)
    return len(getters) if getters is not None else 0
