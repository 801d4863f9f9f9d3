"""The live-push benchmark's core at tiny scale: every client gets exactly its own user's events.

bench/push.py runs the same code with 1,000 clients and prints latencies; here only exactness counts
(speed is measured in benchmarks, never in tests).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from conectafy.api.main import create_app
from conectafy.api.services.events import live_events
from conectafy.settings import ApiSettings
from tests.api.dataplane import WEBHOOK_KEY, MemoryDirectory, serve
from tests.api.push import PushUser, SseClient, check, create_users, run_push
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


def test_the_check_counts_missed_foreign_and_repeated_events() -> None:
    """Client 0 (user 0 of 2) should get messages 0, 2 and 4: it got 0 twice and 1 (user 1's), not 2 or 4."""
    user = PushUser(uuid.uuid4(), "push-0", "token")
    client = SseClient(0, user, "run")
    client.arrivals = [(0, 1.0), (0, 1.1), (1, 1.2)]
    result = check([client], users=2, messages=6, sent={0: 0.9, 1: 0.9})
    assert (result.missing, result.foreign, result.duplicates, result.exact) == (2, 1, 1, False)
