"""`GET /api/sessions` shows live fields (paused, WAHA's status, conditions) from the projection.

The list reads rows only — the projection of each WhatsAppSession, written by the API's watch — so no
list request costs a Kubernetes call. Fixtures are those of test_sessions.py (kmock, quota 2).
"""

from __future__ import annotations

from typing import Any

import httpx
import kmock

from conectafy.waha.status import WahaStatus
from tests.api.test_sessions import NAMESPACE, api_settings, cluster, create  # noqa: F401 - fixtures
from tests.support.kube import eventually, operator_writes_status, requests_to, session_path
from tests.support.sessions import operator_status

LIVE_FIELDS = ("status", "phase", "wa_status", "paused", "phone_number", "push_name", "conditions")


def _live(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in LIVE_FIELDS}


async def test_list_shows_the_live_fields_from_the_watch_without_reading_the_resource(
    client: httpx.AsyncClient,
    user_factory: Any,
    cluster: kmock.KubernetesEmulator,  # noqa: F811 - the fixture imported above
) -> None:
    _, headers = await user_factory()
    created = await create(client, headers)
    status = operator_status(WahaStatus.PASSKEY_REQUIRED)
    await operator_writes_status(cluster, NAMESPACE, created["name"], status.to_k8s())
    expected = {
        "status": "connecting",
        "phase": "ScanQR",
        "wa_status": "PASSKEY_REQUIRED",
        "paused": False,
        "phone_number": None,
        "push_name": None,
        "conditions": [condition.to_k8s() for condition in status.conditions],
    }

    async def listed() -> None:
        assert [_live(item) for item in (await client.get("/api/sessions", headers=headers)).json()] == [
            expected
        ]

    await eventually(listed)
    reads = requests_to(cluster, session_path(NAMESPACE, created["name"]))
    await listed()
    assert requests_to(cluster, session_path(NAMESPACE, created["name"])) == reads


async def test_list_shows_a_stopped_session_as_paused(
    client: httpx.AsyncClient,
    user_factory: Any,
    cluster: kmock.KubernetesEmulator,  # noqa: F811 - the fixture imported above
) -> None:
    _, headers = await user_factory()
    created = await create(client, headers)
    await client.post(f"/api/sessions/{created['id']}/stop", headers=headers)

    async def paused() -> None:
        listed = (await client.get("/api/sessions", headers=headers)).json()
        assert [(item["id"], item["paused"]) for item in listed] == [(created["id"], True)]

    await eventually(paused)
