# ruff: noqa: F811 - the fixtures imported below are redefined as test parameters, as pytest wants
"""Media copies against the real cluster in KUBECONFIG: the app's own copier, wired by its lifespan, reads
the session's WAHA API key from the session's real Secret, fetches the file from a simulated WAHA and
copies it to a real S3-compatible server (moto) on 127.0.0.1; the API then serves it.

No operator runs here: the test writes the Secret the way the operator does, and the API reaches WAHA
through `waha_url_template` (the simulator's address).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import kr8s.asyncio
import pytest
from fastapi import FastAPI

from conectafy.api.main import create_app
from conectafy.operator.manifests import API_KEY
from conectafy.simulator import RunningSimulator
from tests.api.conftest import client, db_pool, pg_dsn, pg_server_dsn, pg_template  # noqa: F401 - fixtures
from tests.api.dataplane import envelope_bytes
from tests.api.s3 import read_object, s3_url, with_new_bucket  # noqa: F401 - s3_url is a fixture
from tests.e2e.test_api_sessions import _create, _register, e2e_settings, kube, namespace  # noqa: F401
from tests.e2e.test_api_webhooks import _deliver_when_known, _write_session_secret
from tests.waha.simulated_media import SIM_KEY, inbound_media, media_bytes

pytestmark = pytest.mark.e2e


@pytest.fixture
async def app(
    pg_dsn: str,
    db_pool: asyncpg.Pool,
    namespace: str,
    tmp_path: Path,
    sim: RunningSimulator,
    s3_url: str,
) -> AsyncIterator[FastAPI]:
    """The whole app (lifespan included) on the real cluster, with S3 media storage on and the simulator
    as every session's WAHA."""
    settings = e2e_settings(pg_dsn, namespace, tmp_path).model_copy(update={"waha_url_template": sim.url})
    application = create_app(await with_new_bucket(settings, s3_url))
    async with application.router.lifespan_context(application):
        yield application


async def test_incoming_media_is_copied_to_s3_and_served_by_the_api(
    app: FastAPI,
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    kube: kr8s.asyncio.Api,
    namespace: str,
    sim: RunningSimulator,
) -> None:
    _, headers = await _register(client)
    created = await _create(client, headers)
    await _write_session_secret(kube, namespace, created["name"], **{API_KEY: SIM_KEY})
    payload = await inbound_media(sim, "image")
    envelope = {"id": "evt_e2e_media", "event": "message", "session": "default", "payload": payload}
    answer = await _deliver_when_known(client, namespace, created["name"], envelope_bytes(envelope))
    await app.state.media_copier.drain()
    row = await db_pool.fetchrow(
        "SELECT id, media_storage_key FROM messages WHERE message_id = $1", payload["id"]
    )
    assert row is not None and row["media_storage_key"] is not None
    served = await client.get(f"/api/sessions/{created['id']}/messages/{row['id']}/media", headers=headers)
    expected = media_bytes(sim, payload)
    assert (
        answer.json(),
        await read_object(app.state.settings, row["media_storage_key"]),
        (served.status_code, served.content),
    ) == ({"outcome": "stored", "event": "message"}, (expected, "image/jpeg"), (200, expected))
