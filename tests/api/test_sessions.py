"""`/api/sessions` on real PostgreSQL and kmock: resources, rows, quota, validation, isolation."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import kmock
import pytest

from conectafy.session import API_VERSION, KIND
from conectafy.settings import ApiSettings
from tests.support.kube import SESSIONS, eventually, operator_writes_status, prepare_kmock
from tests.support.sessions import connected_status

NAMESPACE = "conectafy-test"
Headers = dict[str, str]


@pytest.fixture
def cluster(kmock: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    prepare_kmock(kmock)
    return kmock


@pytest.fixture
def api_settings(api_settings: ApiSettings, cluster: kmock.KubernetesEmulator) -> ApiSettings:
    return api_settings.model_copy(
        update={"kubernetes_url": str(cluster.url), "namespace": NAMESPACE, "session_quota_per_user": 2}
    )


async def create(client: httpx.AsyncClient, headers: Headers, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/sessions", json={"name": "support", **body}, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def resource(cluster: kmock.KubernetesEmulator, name: str) -> dict[str, Any]:
    return dict(cluster.objects[SESSIONS, NAMESPACE, name].raw)


async def test_create_makes_the_resource_with_owner_label_and_spec(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    user_id, headers = await user_factory()
    created = await create(client, headers, engine="NOWEB", display_name="Support line")
    assert resource(cluster, created["name"]) == {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": created["name"],
            "namespace": NAMESPACE,
            "labels": {"conectafy.io/owner": str(user_id)},
            "annotations": {},
        },
        "spec": {
            "engine": "NOWEB",
            "paused": False,
            "owner": str(user_id),
            "displayName": "Support line",
            "storage": {"size": "1Gi", "retainOnDelete": False},
            "webhook": {
                "events": [
                    "session.status",
                    "message.any",
                    "message.ack",
                    "message.reaction",
                    "message.revoked",
                ]
            },
            "placement": {"mode": "Dedicated"},
        },
    }


async def test_create_answers_the_session_and_mirrors_it_in_a_row(
    client: httpx.AsyncClient, user_factory: Any, db_pool: asyncpg.Pool
) -> None:
    user_id, headers = await user_factory()
    created = await create(client, headers)
    assert created["name"].startswith("support-") and len(created["name"]) == len("support-") + 5
    assert created == {
        "id": created["id"],
        "name": created["name"],
        "namespace": NAMESPACE,
        "display_name": "support",
        "engine": "GOWS",
        "status": "connecting",
        "phase": "Pending",
        "wa_status": None,
        "paused": False,
        "phone_number": None,
        "push_name": None,
        "conditions": [],
        "reason": None,
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
        "last_connected_at": None,
    }
    row = await db_pool.fetchrow(
        "SELECT user_id, session_name, display_name, engine, status FROM whatsapp_sessions"
    )
    assert dict(row) == {
        "user_id": user_id,
        "session_name": created["name"],
        "display_name": "support",
        "engine": "GOWS",
        "status": "connecting",
    }


async def test_the_same_name_twice_gives_two_distinct_resources(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    _, headers = await user_factory()
    first, second = await create(client, headers), await create(client, headers)
    assert first["name"] != second["name"]
    assert {key[2] for key in cluster.objects} == {first["name"], second["name"]}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Support"},  # upper case
        {"name": "1support"},  # starts with a digit
        {"name": "sup_port"},
        {"name": "support-"},
        {"name": "s" * 47},  # no room left for the unique suffix
        {"name": ""},
        {"name": "x'; DROP TABLE whatsapp_sessions; --"},
        {"name": "support", "engine": "CHROME"},
        {"name": "support", "display_name": "d" * 121},
        {"name": "support", "owner": "someone-else"},  # unknown fields are refused, not ignored
        {},
    ],
)
async def test_invalid_input_is_422_and_creates_nothing(
    client: httpx.AsyncClient,
    user_factory: Any,
    cluster: kmock.KubernetesEmulator,
    db_pool: asyncpg.Pool,
    body: dict[str, Any],
) -> None:
    _, headers = await user_factory()
    response = await client.post("/api/sessions", json=body, headers=headers)
    assert (response.status_code, response.json()["error"]) == (422, "validation_error")
    assert list(cluster.objects) == []
    assert await db_pool.fetchval("SELECT count(*) FROM whatsapp_sessions") == 0


async def test_quota_refuses_a_session_beyond_the_limit(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    _, headers = await user_factory()
    await create(client, headers)
    await create(client, headers)
    response = await client.post("/api/sessions", json={"name": "third"}, headers=headers)
    assert (response.status_code, response.json()) == (
        403,
        {
            "error": "forbidden",
            "detail": "Session quota reached: you have 2 of 2 sessions. Delete one first.",
        },
    )
    assert len(list(cluster.objects)) == 2
    assert await db_pool.fetchval("SELECT count(*) FROM whatsapp_sessions") == 2


async def test_quota_counts_per_user(client: httpx.AsyncClient, user_factory: Any) -> None:
    _, alice = await user_factory()
    _, bob = await user_factory()
    await create(client, alice)
    await create(client, alice)
    await create(client, bob)


async def test_unreachable_kubernetes_is_503_and_leaves_no_row(
    client: httpx.AsyncClient, user_factory: Any, db_pool: asyncpg.Pool, cluster: kmock.KubernetesEmulator
) -> None:
    _, headers = await user_factory()
    cluster["post", SESSIONS] << 500 << {"kind": "Status", "message": "etcdserver: request timed out"}
    response = await client.post("/api/sessions", json={"name": "support"}, headers=headers)
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Kubernetes is not reachable, the session was not created")
    assert await db_pool.fetchval("SELECT count(*) FROM whatsapp_sessions") == 0


async def test_list_shows_own_sessions_in_creation_order(
    client: httpx.AsyncClient, user_factory: Any
) -> None:
    _, headers = await user_factory()
    first = await create(client, headers, name="first")
    second = await create(client, headers, name="second")
    response = await client.get("/api/sessions", headers=headers)
    assert [item["id"] for item in response.json()] == [first["id"], second["id"]]


async def test_get_shows_the_status_the_operator_wrote(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    _, headers = await user_factory()
    created = await create(client, headers)
    status = connected_status()
    await operator_writes_status(cluster, NAMESPACE, created["name"], status.to_k8s())

    async def shows_it() -> None:
        body = (await client.get(f"/api/sessions/{created['id']}", headers=headers)).json()
        assert {key: body[key] for key in ("status", "phase", "wa_status", "phone_number", "push_name")} == {
            "status": "connected",
            "phase": "Connected",
            "wa_status": "WORKING",
            "phone_number": "+15550001111",
            "push_name": "Acme",
        }
        assert body["conditions"] == [condition.to_k8s() for condition in status.conditions]

    await eventually(shows_it)


async def test_stop_pauses_the_resource(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    _, headers = await user_factory()
    created = await create(client, headers)
    response = await client.post(f"/api/sessions/{created['id']}/stop", headers=headers)
    assert (response.status_code, response.json()["paused"]) == (200, True)
    assert resource(cluster, created["name"])["spec"]["paused"] is True


async def test_start_unpauses_the_resource(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    _, headers = await user_factory()
    created = await create(client, headers)
    await client.post(f"/api/sessions/{created['id']}/stop", headers=headers)
    response = await client.post(f"/api/sessions/{created['id']}/start", headers=headers)
    assert (response.status_code, response.json()["paused"]) == (200, False)
    assert resource(cluster, created["name"])["spec"]["paused"] is False


async def test_restart_stamps_the_restarted_at_annotation(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    _, headers = await user_factory()
    created = await create(client, headers)
    response = await client.post(f"/api/sessions/{created['id']}/restart", headers=headers)
    assert response.status_code == 200
    annotations = resource(cluster, created["name"])["metadata"]["annotations"]
    assert list(annotations) == ["conectafy.io/restartedAt"]
    assert annotations["conectafy.io/restartedAt"].endswith("Z")


async def test_delete_removes_the_resource_and_the_row(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    user_id, headers = await user_factory()
    created = await create(client, headers)
    response = await client.delete(f"/api/sessions/{created['id']}", headers=headers)
    assert response.status_code == 204
    assert cluster.objects[SESSIONS, NAMESPACE, created["name"]].deleted
    assert await db_pool.fetchval("SELECT count(*) FROM whatsapp_sessions") == 0
    event = await db_pool.fetchrow("SELECT user_id, type, data FROM events WHERE type = 'session_deleted'")
    assert (event["user_id"], event["data"]["session_id"]) == (user_id, created["id"])


async def test_unknown_session_id_is_404(client: httpx.AsyncClient, user_factory: Any) -> None:
    _, headers = await user_factory()
    response = await client.get(f"/api/sessions/{uuid.uuid4()}", headers=headers)
    assert (response.status_code, response.json()) == (
        404,
        {"error": "not_found", "detail": "Session not found."},
    )


async def test_sessions_need_a_signed_in_user(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/sessions")
    assert response.status_code == 401


async def test_ready_reports_kubernetes_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.json()["checks"]["kubernetes"] == {"status": "ok", "detail": None}
