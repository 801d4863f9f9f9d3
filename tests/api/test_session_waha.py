"""QR, pairing code and logout proxied to the session's own WAHA (the simulator), and tenant isolation.

The operator's part is played by tests.support.kube: it writes the session Secret (the API key WAHA
was started with) and the status with WAHA's endpoint, as the real operator does.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import kmock
import pytest
import zxingcpp
from fastapi import FastAPI
from PIL import Image

from conectafy.settings import ApiSettings
from conectafy.simulator.config import SimulatorConfig
from conectafy.simulator.runner import RunningSimulator, run_simulator
from conectafy.waha.status import WahaStatus
from tests.support.kube import (
    SESSIONS,
    eventually,
    operator_creates_secret,
    operator_writes_status,
    prepare_kmock,
)
from tests.support.sessions import operator_status

NAMESPACE = "conectafy-test"
WAHA_KEY = "waha-key-for-tests-0123456789"
Headers = dict[str, str]


@pytest.fixture
def cluster(kmock: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    prepare_kmock(kmock)
    return kmock


@pytest.fixture
def api_settings(api_settings: ApiSettings, cluster: kmock.KubernetesEmulator) -> ApiSettings:
    # The template points nowhere: WAHA is only found through the endpoint the operator publishes.
    return api_settings.model_copy(
        update={
            "kubernetes_url": str(cluster.url),
            "namespace": NAMESPACE,
            "waha_url_template": "http://127.0.0.1:9",
            "waha_request_timeout": 5.0,
        }
    )


@pytest.fixture
async def waha() -> AsyncIterator[RunningSimulator]:
    config = SimulatorConfig(api_key=WAHA_KEY, startup_seconds=0, status_guard_wait_seconds=0)
    async with run_simulator(config) as running:
        yield running


@pytest.fixture
async def session(
    client: httpx.AsyncClient,
    app: FastAPI,
    user_factory: Any,
    cluster: kmock.KubernetesEmulator,
    waha: RunningSimulator,
) -> tuple[dict[str, Any], Headers]:
    """A user's session whose WAHA (the simulator) is up, as the operator would leave it."""
    _, headers = await user_factory()
    response = await client.post("/api/sessions", json={"name": "support"}, headers=headers)
    created: dict[str, Any] = response.json()
    await operator_creates_secret(
        cluster, NAMESPACE, created["name"], {"api-key": WAHA_KEY, "webhook-hmac-key": "hmac"}
    )
    status = operator_status(WahaStatus.SCAN_QR_CODE, endpoint=waha.url)
    await operator_writes_status(cluster, NAMESPACE, created["name"], status.to_k8s())
    directory = app.state.session_directory

    def published() -> None:
        assert directory.base_url(created["name"]) == waha.url

    await eventually(published)
    await eventually(lambda: _status_is(waha, WahaStatus.SCAN_QR_CODE))
    return created, headers


def _status_is(waha: RunningSimulator, status: WahaStatus) -> None:
    assert waha.sim.session.status == status


async def test_qr_png_encodes_the_current_qr(
    client: httpx.AsyncClient, session: tuple[dict[str, Any], Headers], waha: RunningSimulator
) -> None:
    created, headers = session
    response = await client.get(f"/api/sessions/{created['id']}/qr", headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (200, "image/png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    assert [barcode.text for barcode in decoded] == [waha.sim.session.qr_value]


async def test_qr_raw_is_the_current_qr_value(
    client: httpx.AsyncClient, session: tuple[dict[str, Any], Headers], waha: RunningSimulator
) -> None:
    created, headers = session
    response = await client.get(
        f"/api/sessions/{created['id']}/qr", params={"format": "raw"}, headers=headers
    )
    assert (response.status_code, response.json()) == (200, {"value": waha.sim.session.qr_value})


async def test_qr_of_a_connected_session_is_409(
    client: httpx.AsyncClient, session: tuple[dict[str, Any], Headers], waha: RunningSimulator
) -> None:
    created, headers = session
    waha.sim.session.scan("15550001111", "Acme")
    await eventually(lambda: _status_is(waha, WahaStatus.WORKING))
    response = await client.get(f"/api/sessions/{created['id']}/qr", headers=headers)
    assert (response.status_code, response.json()) == (
        409,
        {
            "error": "conflict",
            "detail": "The session is WORKING in WAHA; this needs SCAN_QR_CODE.",
        },
    )


async def test_pairing_code_comes_from_waha(
    client: httpx.AsyncClient, session: tuple[dict[str, Any], Headers]
) -> None:
    created, headers = session
    response = await client.post(
        f"/api/sessions/{created['id']}/pairing-code", json={"phoneNumber": "+15550001111"}, headers=headers
    )
    assert response.status_code == 200
    assert list(response.json()) == ["code"]
    code = response.json()["code"]
    assert (len(code), code[4]) == (9, "-")


@pytest.mark.parametrize("phone", ["", "12345", "1555000111122223", "+1 555 000", "abc"])
async def test_pairing_code_needs_a_phone_number(
    client: httpx.AsyncClient, session: tuple[dict[str, Any], Headers], phone: str
) -> None:
    created, headers = session
    response = await client.post(
        f"/api/sessions/{created['id']}/pairing-code", json={"phoneNumber": phone}, headers=headers
    )
    assert response.status_code == 422


async def test_logout_unlinks_the_phone(
    client: httpx.AsyncClient, session: tuple[dict[str, Any], Headers], waha: RunningSimulator
) -> None:
    created, headers = session
    waha.sim.session.scan("15550001111", "Acme")
    await eventually(lambda: _status_is(waha, WahaStatus.WORKING))
    response = await client.post(f"/api/sessions/{created['id']}/logout", headers=headers)
    assert response.status_code == 204
    assert (waha.sim.session.has_creds, waha.sim.session.me) == (False, None)


async def test_unreachable_waha_is_503(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    _, headers = await user_factory()
    created = (await client.post("/api/sessions", json={"name": "support"}, headers=headers)).json()
    response = await client.get(f"/api/sessions/{created['id']}/qr", headers=headers)
    assert (response.status_code, response.json()["detail"]) == (
        503,
        "The session's WAHA is not reachable; is the session running?",
    )


FOREIGN_CALLS = [
    ("GET", "", None),
    ("DELETE", "", None),
    ("POST", "/stop", None),
    ("POST", "/start", None),
    ("POST", "/restart", None),
    ("POST", "/logout", None),
    ("GET", "/qr", None),
    ("GET", "/qr?format=raw", None),
    ("POST", "/pairing-code", {"phoneNumber": "15550001111"}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), FOREIGN_CALLS)
async def test_another_users_session_is_not_found_and_untouched(
    client: httpx.AsyncClient,
    session: tuple[dict[str, Any], Headers],
    user_factory: Any,
    cluster: kmock.KubernetesEmulator,
    waha: RunningSimulator,
    db_pool: asyncpg.Pool,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    created, _ = session
    _, intruder = await user_factory()
    before = dict(cluster.objects[SESSIONS, NAMESPACE, created["name"]].raw)
    waha_before = (waha.sim.session.status, waha.sim.session.qr_value, waha.sim.session.has_creds)
    response = await client.request(
        method, f"/api/sessions/{created['id']}{suffix}", json=body, headers=intruder
    )
    assert (response.status_code, response.json()) == (
        404,
        {"error": "not_found", "detail": "Session not found."},
    )
    assert dict(cluster.objects[SESSIONS, NAMESPACE, created["name"]].raw) == before
    assert (waha.sim.session.status, waha.sim.session.qr_value, waha.sim.session.has_creds) == waha_before
    assert await db_pool.fetchval("SELECT count(*) FROM whatsapp_sessions") == 1


async def test_another_users_sessions_are_not_listed(
    client: httpx.AsyncClient, session: tuple[dict[str, Any], Headers], user_factory: Any
) -> None:
    _, intruder = await user_factory()
    response = await client.get("/api/sessions", headers=intruder)
    assert (response.status_code, response.json()) == (200, [])
