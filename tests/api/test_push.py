"""The live-push benchmark's core at tiny scale: every client gets exactly its own user's events.

bench/push.py runs the same code with 1,000 clients and prints latencies; here only exactness counts
(speed is measured in benchmarks, never in tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from conectafy.api.main import create_app
from conectafy.api.services.events import live_events
from conectafy.settings import ApiSettings
from tests.api.dataplane import WEBHOOK_KEY, MemoryDirectory, serve
from tests.api.push import PushUser, create_users, run_push
from tests.support.sessions import NAMESPACE


@pytest.fixture
async def users(db_pool: asyncpg.Pool, api_settings: ApiSettings) -> list[PushUser]:
    assert api_settings.jwt_secret is not None
    return await create_users(
        db_pool, 2, prefix="push", jwt_secret=api_settings.jwt_secret.get_secret_value()
    )


@pytest.fixture
async def api(api_settings: ApiSettings, users: list[PushUser]) -> AsyncIterator[tuple[str, int]]:
    app = create_app(api_settings, background=[live_events])
    app.state.session_directory = MemoryDirectory(keys={u.session_name: WEBHOOK_KEY for u in users})
    async with serve(app) as url:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        yield parts.hostname, parts.port


async def test_four_clients_of_two_users_get_exactly_their_own_events(
    api: tuple[str, int], users: list[PushUser]
) -> None:
    host, port = api
    result = await run_push(
        host,
        port,
        users,
        clients=4,
        messages=20,
        rate=200,
        namespace=NAMESPACE,
        key=WEBHOOK_KEY,
        connections=4,
    )
    assert (result.missing, result.foreign, result.duplicates, len(result.latencies)) == (0, 0, 0, 40)
