"""CR→row mirroring: the operator's status reaches the row and the owner's live events."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import kmock
import pytest

from conectafy.api import metrics
from conectafy.api.services.session_mirror import mirror_of, session_event_data
from conectafy.api.store.sessions import SessionMirror, SessionRow
from conectafy.session import Phase, WhatsAppSession
from conectafy.settings import ApiSettings
from tests.support.kube import (
    eventually,
    operator_deletes_session,
    operator_writes_status,
    prepare_kmock,
    session_path,
)

NAMESPACE = "conectafy-test"
CONNECTED = {
    "phase": "Connected",
    "waStatus": "WORKING",
    "phoneNumber": "15550001111",
    "pushName": "Acme",
    "endpoint": "http://waha-x.conectafy-test.svc:3000",
    "lastConnectedAt": "2026-11-28T10:00:00Z",
}


@pytest.fixture
def cluster(kmock: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    prepare_kmock(kmock)
    return kmock


@pytest.fixture
def api_settings(api_settings: ApiSettings, cluster: kmock.KubernetesEmulator) -> ApiSettings:
    return api_settings.model_copy(update={"kubernetes_url": str(cluster.url), "namespace": NAMESPACE})


@pytest.mark.parametrize(
    ("phase", "status"),
    [
        (Phase.PENDING, "connecting"),
        (Phase.STARTING, "connecting"),
        (Phase.SCAN_QR, "connecting"),
        (Phase.CONNECTED, "connected"),
        (Phase.FAILED, "error"),
        (Phase.STOPPED, "disconnected"),
    ],
)
def test_phase_maps_to_the_row_status(phase: Phase, status: str) -> None:
    session = WhatsAppSession.model_validate({"metadata": {"name": "x"}, "status": {"phase": phase.value}})
    assert mirror_of(session).status == status


def test_a_resource_without_status_is_pending() -> None:
    assert mirror_of(WhatsAppSession.model_validate({"metadata": {"name": "x"}})) == SessionMirror(
        phase="Pending",
        status="connecting",
        phone_number=None,
        push_name=None,
        last_connected_at=None,
        container_name=None,
        container_port=None,
    )


async def _create(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post("/api/sessions", json={"name": "support"}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_the_operators_status_reaches_the_row(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    _, headers = await user_factory()
    created = await _create(client, headers)
    await operator_writes_status(cluster, NAMESPACE, created["name"], CONNECTED)
    columns = "phase, status, phone_number, push_name, last_connected_at, container_name, container_port"

    async def mirrored() -> None:
        row = await db_pool.fetchrow(f"SELECT {columns} FROM whatsapp_sessions")
        assert dict(row) == {
            "phase": "Connected",
            "status": "connected",
            "phone_number": "15550001111",
            "push_name": "Acme",
            "last_connected_at": datetime(2026, 11, 28, 10, tzinfo=UTC),
            "container_name": f"waha-{created['name']}",
            "container_port": 3000,
        }

    await eventually(mirrored)


async def test_a_status_change_is_a_live_event_for_the_owner(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    user_id, headers = await user_factory()
    created = await _create(client, headers)
    await operator_writes_status(cluster, NAMESPACE, created["name"], CONNECTED)

    async def announced() -> None:
        events = await db_pool.fetch("SELECT user_id, type, data FROM events WHERE type = 'session'")
        assert [(event["user_id"], event["type"], event["data"]) for event in events] == [
            (
                user_id,
                "session",
                {
                    "session_id": created["id"],
                    "session_name": created["name"],
                    "display_name": "support",
                    "status": "connected",
                    "phase": "Connected",
                    "phone_number": "15550001111",
                    "push_name": "Acme",
                    "last_connected_at": "2026-11-28T10:00:00+00:00",
                    "waha_status": "WORKING",
                    "paused": False,
                    "reason": None,
                },
            )
        ]

    await eventually(announced)


async def test_an_unchanged_status_is_not_announced_again(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    _, headers = await user_factory()
    created = await _create(client, headers)
    await operator_writes_status(cluster, NAMESPACE, created["name"], CONNECTED)
    await eventually(lambda: _count_events(db_pool, "session", 1))
    await operator_writes_status(cluster, NAMESPACE, created["name"], {**CONNECTED, "observedGeneration": 2})
    await operator_writes_status(cluster, NAMESPACE, created["name"], {"phase": "Failed"})

    async def failed() -> None:  # events are handled in order: the Failed one comes last
        assert await db_pool.fetchval("SELECT phase FROM whatsapp_sessions") == "Failed"

    await eventually(failed)
    await _count_events(db_pool, "session", 2)


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


API_DOC = Path(__file__).parents[2] / "docs" / "api.md"
ROW = SessionRow(
    id=uuid.uuid4(),
    user_id=uuid.uuid4(),
    session_name="support-abcde",
    display_name="Support",
    engine="GOWS",
    phone_number=None,
    push_name=None,
    status="connecting",
    phase="ScanQR",
    qr_code=None,
    container_name=None,
    container_port=None,
    webhook_url=None,
    created_at=datetime(2026, 11, 28, tzinfo=UTC),
    updated_at=datetime(2026, 11, 28, tzinfo=UTC),
    last_connected_at=None,
)


def _documented_keys(event_type: str, emitted_by: str) -> list[str]:
    """The data keys docs/api.md lists for one row of its live-events table."""
    for line in API_DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0] == f"`{event_type}`" and cells[1].startswith(emitted_by):
            return re.findall(r"`([a-z_]+)`", cells[2])
    raise AssertionError(f"docs/api.md documents no {event_type} event emitted by {emitted_by!r}")


def test_the_mirrors_session_event_is_documented_key_for_key() -> None:
    resource = WhatsAppSession.model_validate(
        {"metadata": {"name": "support-abcde"}, "status": {"phase": "ScanQR", "waStatus": "SCAN_QR_CODE"}}
    )
    assert list(session_event_data(ROW, resource)) == _documented_keys("session", "the CR→row mirror")


def test_the_session_deleted_event_is_documented_key_for_key() -> None:
    assert list(session_event_data(ROW)) == _documented_keys("session_deleted", "deleting")


UNLINKED = {
    "phase": "ScanQR",
    "waStatus": "SCAN_QR_CODE",
    "deviceUnlinkedAt": "2026-11-28T10:05:00Z",
    "conditions": [
        {
            "type": "Connected",
            "status": "False",
            "reason": "DeviceUnlinked",
            "message": "The phone unlinked this device: scan the new QR code to re-pair this number.",
            "lastTransitionTime": "2026-11-28T10:05:00Z",
        }
    ],
}


async def test_a_device_unlinked_session_event_says_so(
    client: httpx.AsyncClient, user_factory: Any, cluster: kmock.KubernetesEmulator, db_pool: asyncpg.Pool
) -> None:
    """The dashboard tells the user to re-pair, not "connecting": the event carries the reason."""
    _, headers = await user_factory()
    created = await _create(client, headers)
    await operator_writes_status(cluster, NAMESPACE, created["name"], UNLINKED)

    async def announced() -> None:
        rows = await db_pool.fetch("SELECT data FROM events WHERE type = 'session'")
        assert [(row["data"]["phase"], row["data"]["reason"]) for row in rows] == [
            ("ScanQR", "DeviceUnlinked")
        ]

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
        json={"metadata": {"managedFields": managed}, "status": CONNECTED},
        headers={"Content-Type": "application/merge-patch+json"},
    ) as response:
        assert response.status == 200

    def measured() -> None:
        assert _lag_count() == before + 1

    await eventually(measured)


def _lag_count() -> float:
    value = metrics.REGISTRY.get_sample_value("conectafy_api_session_mirror_lag_seconds_count")
    return value or 0.0
