# ruff: noqa: F811 - the fixtures imported below are redefined as test parameters, as pytest wants
"""The media copy as the app wires it (no dependency overrides): the webhook route's real session
directory finds the session and its keys in the Kubernetes API (kmock), the lifespan's copier fetches the
file from WAHA with the Secret's API key and stores it in a real S3-compatible server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import kmock
import pytest
from fastapi import FastAPI

from conectafy.api.main import create_app
from conectafy.kube import Kube
from conectafy.settings import ApiSettings
from conectafy.simulator import RunningSimulator
from tests.api.dataplane import (
    WEBHOOK_KEY,
    deliver,
    envelope_bytes,
    make_user_id,
)
from tests.api.s3 import read_object, s3_url, with_new_bucket  # noqa: F401 - s3_url is a fixture
from tests.support.kube import eventually, operator_creates_secret, prepare_kmock
from tests.support.sessions import session_resource
from tests.waha.simulated_media import SIM_KEY, inbound_media, media_bytes, sim  # noqa: F401 - fixtures

NAMESPACE = "conectafy-test"
NAME = "support-abcde"


@pytest.fixture
async def wired_app(
    api_settings: ApiSettings,
    s3_url: str,
    kmock: kmock.KubernetesEmulator,
    db_pool: asyncpg.Pool,
    sim: RunningSimulator,
) -> AsyncIterator[FastAPI]:
    """The app on kmock (a session resource and its Secret exist) and the simulator as the session's WAHA."""
    prepare_kmock(kmock)
    owner = await make_user_id(db_pool)
    kube = Kube(NAMESPACE, url=str(kmock.url))
    try:
        await kube.create_session(session_resource(NAME, owner=owner, namespace=NAMESPACE))
    finally:
        await kube.aclose()
    await operator_creates_secret(
        kmock, NAMESPACE, NAME, {"webhook-hmac-key": WEBHOOK_KEY, "api-key": SIM_KEY}
    )
    settings = api_settings.model_copy(
        update={"kubernetes_url": str(kmock.url), "namespace": NAMESPACE, "waha_url_template": sim.url}
    )
    app = create_app(await with_new_bucket(settings, s3_url))
    async with app.router.lifespan_context(app):
        await eventually(_has_row(db_pool))  # the app's own projection wrote it from the watch
        yield app


def _has_row(pool: asyncpg.Pool) -> Any:
    async def check() -> None:
        assert await pool.fetchval("SELECT count(*) FROM whatsapp_sessions WHERE session_name = $1", NAME)

    return check


async def test_the_apps_own_copier_copies_with_the_secrets_api_key(
    wired_app: FastAPI, db_pool: asyncpg.Pool, sim: RunningSimulator
) -> None:
    payload = await inbound_media(sim, "image")
    body = envelope_bytes({"id": "evt_wired", "event": "message", "session": "default", "payload": payload})
    transport = httpx.ASGITransport(app=wired_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await deliver(client, NAME, body, namespace=NAMESPACE)
    await wired_app.state.media_copier.drain()
    key = await db_pool.fetchval(
        "SELECT media_storage_key FROM messages WHERE message_id = $1", payload["id"]
    )
    assert (answer.json(), await read_object(wired_app.state.settings, key)) == (
        {"outcome": "stored", "event": "message"},
        (media_bytes(sim, payload), "image/jpeg"),
    )
