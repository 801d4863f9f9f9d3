"""The projection through the app: the operator's status reaches the row and the owner's live events,
kubectl-created sessions are first-class, and an owner label naming no user is no error loop."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import kmock
import pytest

from conectafy.api import metrics
from conectafy.api.services.session_view import deleted_event_data, session_event_data, to_public
from conectafy.api.store.sessions import get_session_by_name
from conectafy.operator.healing import HealingState, annotate
from conectafy.settings import ApiSettings
from conectafy.waha.status import WahaStatus
from tests.support.kube import (
    eventually,
    operator_deletes_session,
    operator_writes_status,
    prepare_kmock,
    session_path,
)
from tests.support.sessions import connected_status, operator_status, resource_body, session_resource

NAMESPACE = "conectafy-test"
ENDPOINT = f"http://waha-x.{NAMESPACE}.svc:3000"


@pytest.fixture
def cluster(kmock: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    prepare_kmock(kmock)
    return kmock


@pytest.fixture
def api_settings(api_settings: ApiSettings, cluster: kmock.KubernetesEmulator) -> ApiSettings:
    return api_settings.model_copy(update={"kubernetes_url": str(cluster.url), "namespace": NAMESPACE})


async def _create(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post("/api/sessions", json={"name": "support"}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _kubectl_apply(cluster: kmock.KubernetesEmulator, name: str, owner: Any) -> None:
    """`kubectl apply` of a plain resource: no API involved."""
    body = resource_body(session_resource(name, owner=owner, namespace=NAMESPACE))
    async with cluster.post(session_path(NAMESPACE), json=body) as response:
        assert response.status in (200, 201), await response.text()


async def _listed(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    return [item["name"] for item in (await client.get("/api/sessions", headers=headers)).json()]


async def test_the_operators_status_reaches_the_row(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    _, headers = await user_factory()
    created = await _create(client, headers)
    status = connected_status(endpoint=ENDPOINT)
    await operator_writes_status(cluster, NAMESPACE, created["name"], status.to_k8s())
    columns = "phase, status, wa_status, phone_number, push_name, last_connected_at, container_name"

    async def projected() -> None:
        row = await db_pool.fetchrow(f"SELECT {columns}, container_port FROM whatsapp_sessions")
        assert dict(row) == {
            "phase": "Connected",
            "status": "connected",
            "wa_status": "WORKING",
            "phone_number": "+15550001111",
            "push_name": "Acme",
            "last_connected_at": status.last_connected_at,
            "container_name": f"waha-{created['name']}",
            "container_port": 3000,
        }

    await eventually(projected)


async def test_a_status_change_is_one_live_event_with_the_whole_session(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    user_id, headers = await user_factory()
    created = await _create(client, headers)
    await operator_writes_status(cluster, NAMESPACE, created["name"], connected_status().to_k8s())

    async def announced() -> None:
        events = await db_pool.fetch("SELECT user_id, data FROM events WHERE type = 'session' ORDER BY id")
        session = (await client.get(f"/api/sessions/{created['id']}", headers=headers)).json()
        assert [(event["user_id"], event["data"]) for event in events][-1] == (
            user_id,
            {"session_id": created["id"], "session_name": created["name"], "session": session},
        )
        assert session["phase"] == "Connected"

    await eventually(announced)


async def test_an_unchanged_status_is_not_announced_again(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    """The creation and the connection are announced; a nudge annotation is not a change."""
    _, headers = await user_factory()
    created = await _create(client, headers)
    status = connected_status()
    await operator_writes_status(cluster, NAMESPACE, created["name"], status.to_k8s())
    await eventually(lambda: _count_events(db_pool, "session", 2))
    nudge = {"metadata": {"annotations": {"conectafy.io/wahaStatusAt": "2026-12-03T10:00:00.000001Z"}}}
    async with cluster.patch(
        session_path(NAMESPACE, created["name"]),
        json=nudge,
        headers={"Content-Type": "application/merge-patch+json"},
    ) as response:
        assert response.status == 200
    failed = operator_status(WahaStatus.FAILED, previous=status)
    await operator_writes_status(cluster, NAMESPACE, created["name"], failed.to_k8s())

    async def is_failed() -> None:  # events are handled in order: the Failed one comes last
        assert await db_pool.fetchval("SELECT phase FROM whatsapp_sessions") == "Failed"

    await eventually(is_failed)
    await _count_events(db_pool, "session", 3)


async def _count_events(db_pool: asyncpg.Pool, kind: str, expected: int) -> None:
    assert await db_pool.fetchval("SELECT count(*) FROM events WHERE type = $1", kind) == expected


async def test_a_resource_deleted_in_the_cluster_takes_its_row(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    _, headers = await user_factory()
    created = await _create(client, headers)
    await operator_deletes_session(cluster, NAMESPACE, created["name"])

    async def gone() -> None:
        assert await db_pool.fetchval("SELECT count(*) FROM whatsapp_sessions") == 0

    await eventually(gone)
    await eventually(lambda: _count_events(db_pool, "session_deleted", 1))


async def test_a_kubectl_created_session_appears_for_its_owner_within_two_seconds(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    user_id, headers = await user_factory()
    _, other_headers = await user_factory()
    await _kubectl_apply(cluster, "from-kubectl", user_id)

    async def listed() -> None:
        assert await _listed(client, headers) == ["from-kubectl"]

    await eventually(listed, within=2.0)
    assert await _listed(client, other_headers) == []


async def test_a_kubectl_delete_removes_the_session_from_the_dashboard(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    user_id, headers = await user_factory()
    await _kubectl_apply(cluster, "from-kubectl", user_id)

    async def listed() -> None:
        assert await _listed(client, headers) == ["from-kubectl"]

    await eventually(listed, within=2.0)
    await operator_deletes_session(cluster, NAMESPACE, "from-kubectl")

    async def unlisted() -> None:
        assert await _listed(client, headers) == []

    await eventually(unlisted, within=2.0)


@pytest.mark.parametrize("owner", ["not-a-user-id", "6f1c7a52-9d3e-4c1b-8a57-2f0e9d4b1c3a"])
async def test_an_owner_label_naming_no_user_is_counted_not_shown(
    client: httpx.AsyncClient, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool, owner: str
) -> None:
    await _kubectl_apply(cluster, "orphan", owner)

    async def counted() -> None:
        assert metrics.SESSIONS_UNKNOWN_OWNER._value.get() == 1

    await eventually(counted)
    await operator_writes_status(cluster, NAMESPACE, "orphan", connected_status().to_k8s())
    await operator_deletes_session(cluster, NAMESPACE, "orphan")
    await eventually(lambda: _assert_unknown_owner_count(0))
    assert await db_pool.fetchval("SELECT count(*) FROM whatsapp_sessions") == 0


def _assert_unknown_owner_count(expected: int) -> None:
    assert metrics.SESSIONS_UNKNOWN_OWNER._value.get() == expected


API_DOC = Path(__file__).parents[2] / "docs" / "api.md"


def _documented_keys(event_type: str) -> list[str]:
    """The data keys docs/api.md lists for one row of its live-events table."""
    for line in API_DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0] == f"`{event_type}`":
            return re.findall(r"`([a-z_]+)`", cells[2].split("(")[0])
    raise AssertionError(f"docs/api.md documents no {event_type} event")


async def test_the_session_events_are_documented_key_for_key(
    client: httpx.AsyncClient, user_factory: Any, db_pool: asyncpg.Pool
) -> None:
    _, headers = await user_factory()
    created = await _create(client, headers)
    full = await get_session_by_name(db_pool, namespace=NAMESPACE, session_name=created["name"])
    assert full is not None
    assert (list(session_event_data(full)), list(deleted_event_data(full))) == (
        _documented_keys("session"),
        _documented_keys("session_deleted"),
    )
    assert session_event_data(full)["session"] == to_public(full).model_dump(mode="json")


async def test_a_device_unlinked_session_event_says_so(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    """The dashboard tells the user to re-pair, not "connecting": the session carries the reason."""
    _, headers = await user_factory()
    created = await _create(client, headers)
    now = datetime.now(UTC)
    scan = operator_status(WahaStatus.SCAN_QR_CODE, previous=connected_status(), now=now)
    unlinked = annotate(scan, None, HealingState([], 0, now, None), now)
    await operator_writes_status(cluster, NAMESPACE, created["name"], unlinked.to_k8s())

    async def announced() -> None:
        rows = await db_pool.fetch("SELECT data FROM events WHERE type = 'session' ORDER BY id")
        session = rows[-1]["data"]["session"]
        assert (session["phase"], session["reason"]) == ("ScanQR", "DeviceUnlinked")

    await eventually(announced)


async def test_mirror_lag_is_measured_from_the_resources_last_write(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator
) -> None:
    _, headers = await user_factory()
    created = await _create(client, headers)
    before = _lag_count()
    written = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    managed = [{"manager": "kopf", "operation": "Update", "time": written, "subresource": "status"}]
    async with cluster.patch(
        session_path(NAMESPACE, created["name"]),
        json={"metadata": {"managedFields": managed}, "status": connected_status().to_k8s()},
        headers={"Content-Type": "application/merge-patch+json"},
    ) as response:
        assert response.status == 200

    def measured() -> None:
        assert _lag_count() > before

    await eventually(measured)


def _lag_count() -> float:
    value = metrics.REGISTRY.get_sample_value("conectafy_api_session_mirror_lag_seconds_count")
    return value or 0.0
