"""The sessions API against the real cluster in KUBECONFIG: the resources it makes are real ones.

Each test gets a fresh namespace (deleted afterwards) and the CRD from crds/ (cluster-wide, kept, as the
chart keeps it). No operator needs to run: these tests check what the API writes, not what the
operator does with it. PostgreSQL is the suite's real one (tests/api/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import kr8s
import kr8s.asyncio
import pytest
import yaml
from fastapi import FastAPI
from pydantic import SecretStr

from conectafy.api.main import create_app
from conectafy.session import API_VERSION, PLURAL
from conectafy.settings import ApiSettings
from tests.api.conftest import db_pool, pg_dsn, pg_server_dsn, pg_template  # noqa: F401 - fixtures
from tests.support.apiserver import wait_crd_served

pytestmark = pytest.mark.e2e

CRD_FILE = Path(__file__).resolve().parents[2] / "crds" / "whatsappsessions.conectafy.io.yaml"
FIELD_MANAGER = "conectafy-e2e"
Headers = dict[str, str]


@pytest.fixture
async def kube() -> kr8s.asyncio.Api:
    return await kr8s.asyncio.api()


async def _apply_crd(kube: kr8s.asyncio.Api) -> None:
    """Server-side apply of the CRD, then wait (with a deadline) until the API server serves it."""
    crd = yaml.safe_load(CRD_FILE.read_text())
    async with kube.call_api(
        "PATCH",
        version="apiextensions.k8s.io/v1",
        url=f"customresourcedefinitions/{crd['metadata']['name']}",
        params={"fieldManager": FIELD_MANAGER, "force": "true"},
        headers={"Content-Type": "application/apply-patch+yaml"},
        content=json.dumps(crd),
    ):
        pass
    await wait_crd_served(kube, crd, seconds=30)


@pytest.fixture
async def namespace(kube: kr8s.asyncio.Api) -> AsyncIterator[str]:
    await _apply_crd(kube)
    name = f"conectafy-e2e-api-{secrets.token_hex(3)}"
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    async with kube.call_api("POST", version="v1", url="namespaces", content=json.dumps(body)):
        pass
    try:
        yield name
    finally:
        async with kube.call_api("DELETE", version="v1", url=f"namespaces/{name}", raise_for_status=False):
            pass


def e2e_settings(dsn: str, namespace: str, tmp_path: Path) -> ApiSettings:
    """The API on the suite's PostgreSQL and the real cluster in KUBECONFIG, sessions in `namespace`."""
    return ApiSettings(
        database_url=dsn,
        data_dir=tmp_path / "data",
        jwt_secret=SecretStr("e2e-secret-" + "x" * 40),
        supabase_url=None,
        web_dist_dir=tmp_path / "no-dashboard",
        namespace=namespace,
        kubernetes_url=None,
    )


@pytest.fixture
async def client(
    pg_dsn: str,  # noqa: F811 - the fixture imported above
    db_pool: asyncpg.Pool,  # noqa: F811 - the fixture imported above
    namespace: str,
    tmp_path: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app (lifespan included) on the real cluster, through KUBECONFIG."""
    app: FastAPI = create_app(e2e_settings(pg_dsn, namespace, tmp_path))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _register(client: httpx.AsyncClient) -> tuple[uuid.UUID, Headers]:
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    response = await client.post("/api/auth/register", json={"email": email, "password": "e2e password 123"})
    assert response.status_code == 201, response.text
    body = response.json()
    return uuid.UUID(body["user"]["id"]), {"Authorization": f"Bearer {body['access_token']}"}


async def _create(client: httpx.AsyncClient, headers: Headers) -> dict[str, Any]:
    response = await client.post(
        "/api/sessions",
        json={"name": "support", "engine": "NOWEB", "display_name": "Support"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _resource(kube: kr8s.asyncio.Api, namespace: str, name: str) -> dict[str, Any]:
    async with kube.call_api(
        "GET", version=API_VERSION, base="/apis", namespace=namespace, url=f"{PLURAL}/{name}"
    ) as response:
        body: dict[str, Any] = response.json()
        return body


async def test_create_makes_a_labelled_resource(
    client: httpx.AsyncClient, kube: kr8s.asyncio.Api, namespace: str
) -> None:
    user_id, headers = await _register(client)
    created = await _create(client, headers)
    found = await _resource(kube, namespace, created["name"])
    assert found["metadata"]["labels"] == {"conectafy.io/owner": str(user_id)}
    assert {key: found["spec"][key] for key in ("engine", "paused", "owner", "displayName")} == {
        "engine": "NOWEB",
        "paused": False,
        "owner": str(user_id),
        "displayName": "Support",
    }


async def test_stop_and_start_patch_paused(
    client: httpx.AsyncClient, kube: kr8s.asyncio.Api, namespace: str
) -> None:
    _, headers = await _register(client)
    created = await _create(client, headers)
    assert (await client.post(f"/api/sessions/{created['id']}/stop", headers=headers)).status_code == 200
    assert (await _resource(kube, namespace, created["name"]))["spec"]["paused"] is True
    assert (await client.post(f"/api/sessions/{created['id']}/start", headers=headers)).status_code == 200
    assert (await _resource(kube, namespace, created["name"]))["spec"]["paused"] is False


async def test_restart_annotates_the_resource(
    client: httpx.AsyncClient, kube: kr8s.asyncio.Api, namespace: str
) -> None:
    _, headers = await _register(client)
    created = await _create(client, headers)
    assert (await client.post(f"/api/sessions/{created['id']}/restart", headers=headers)).status_code == 200
    annotations = (await _resource(kube, namespace, created["name"]))["metadata"]["annotations"]
    assert annotations["conectafy.io/restartedAt"].endswith("Z")


async def test_get_reads_the_resource(client: httpx.AsyncClient) -> None:
    _, headers = await _register(client)
    created = await _create(client, headers)
    response = await client.get(f"/api/sessions/{created['id']}", headers=headers)
    assert (response.status_code, response.json()["paused"], response.json()["engine"]) == (
        200,
        False,
        "NOWEB",
    )


async def test_delete_removes_the_resource(
    client: httpx.AsyncClient, kube: kr8s.asyncio.Api, namespace: str
) -> None:
    _, headers = await _register(client)
    created = await _create(client, headers)
    assert (await client.delete(f"/api/sessions/{created['id']}", headers=headers)).status_code == 204

    async def gone() -> None:  # a running operator's finalizer may hold it for a moment
        while True:
            try:
                await _resource(kube, namespace, created["name"])
            except kr8s.ServerError as error:
                assert error.response is not None and error.response.status_code == 404
                return
            await asyncio.sleep(0.2)

    await asyncio.wait_for(gone(), 60)
    assert (await client.get(f"/api/sessions/{created['id']}", headers=headers)).status_code == 404


async def test_ready_sees_the_cluster(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.json()["checks"]["kubernetes"] == {"status": "ok", "detail": None}
