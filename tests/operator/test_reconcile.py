"""What a reconcile must never do, with the real operator against kmock and the simulator: loop on a
spec the API server rejects, fail because Events cannot be posted, or restart WAHA twice when two
paths overlap."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import kopf
import pytest

from conectafy.kube import KubeClient
from conectafy.operator import cache, handlers, reconcile, waha_sync
from conectafy.operator.guard import Guards
from conectafy.simulator.runner import RunningSimulator
from tests.operator.kopf_harness import (
    DEPLOYMENTS,
    NAMESPACE,
    PVCS,
    ApiServerEmulator,
    apply_session,
    eventually,
    kube_request,
    live,
    requests_to,
    running_operator,
    session_body,
)
from tests.operator.steps import (
    API_KEY,
    CHILD,
    NAME,
    UID,
    event_reasons,
    fast_settings,
    mark_available,
    phase_is,
    seed_api_key,
    session_status,
    sim_control,
    start_session,
)

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)

PVC_PATH = f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims/{CHILD}"


def ready(server: ApiServerEmulator) -> dict[str, Any]:
    conditions = session_status(server).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Ready"), {})


async def test_a_422_on_the_pvc_becomes_a_condition_not_a_loop(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    kube[f"patch {PVC_PATH}"] << 422 << {"message": "spec.resources.requests.storage: field can not be less"}
    guards = Guards()
    async with running_operator(kube, fast_settings(simulator), guards):
        await seed_api_key(kube)
        await apply_session(kube, session_body(NAME, UID))
        await eventually(lambda: ready(kube).get("reason") == "InvalidSpec")
        ticks = guards.get(UID).reconciles
        await eventually(lambda: guards.get(UID).reconciles >= ticks + 3)  # three timer ticks
    assert len(requests_to(kube, PVCS, "PATCH")) == 1
    assert (ready(kube)["status"], "can not be less" in ready(kube)["message"]) == ("False", True)
    assert event_reasons(kube).count("InvalidSpec") == 1
    assert live(kube, DEPLOYMENTS, CHILD) is None  # later children wait for a spec that can work


async def test_events_that_cannot_be_posted_do_not_fail_reconciles(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    kube[f"post /api/v1/namespaces/{NAMESPACE}/events"] << 500 << {"message": "etcd is on fire"}
    async with running_operator(kube, fast_settings(simulator)):
        await start_session(kube)
        await mark_available(kube)
        await eventually(lambda: phase_is(kube, "ScanQR"))
    assert requests_to(kube, "v1/events", "POST")  # they were tried, and failed


async def _available_deployment(server: ApiServerEmulator) -> None:
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": CHILD, "namespace": NAMESPACE},
    }
    await kube_request(server, "POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", body)
    status = {"status": {"replicas": 1, "availableReplicas": 1}}
    path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{CHILD}/status"
    await kube_request(server, "PATCH", path, status, "application/merge-patch+json")


class CountingTransport(httpx.AsyncHTTPTransport):
    """The real network, with a note of every WAHA path asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


async def test_a_timer_and_a_handler_overlapping_restart_waha_once(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    """Both paths hold the same stale body (no restart recorded yet); the guard serialises them and
    the second judges by what the first did."""
    await _available_deployment(kube)
    await sim_control(simulator, "fail")
    transport = CountingTransport()
    settings = fast_settings(simulator, failed_restart_backoff_base=1800.0, failed_restart_backoff_max=3600.0)
    clients = reconcile.Clients(KubeClient.from_config(), cache.Ledger(), waha_sync.WahaClients(transport))
    memo = kopf.Memo(settings=settings, guards=Guards(), clients=clients)
    key = (NAMESPACE, NAME)
    secret = cache.ChildState(
        CHILD,
        "1",
        secret_data={
            "api-key": API_KEY,
            "api-key-sha512": "x",
            "webhook-hmac-key": "h",
            "dashboard-password": "p",
        },
    )
    indexes = {"session_secrets": {key: [secret]}}
    body = kopf.Body(session_body(NAME, UID))
    patches = [kopf.Patch(), kopf.Patch()]
    await asyncio.gather(
        handlers.on_waha_status_hint(body=body, memo=memo, patch=patches[0], **indexes),
        handlers.sync_session_status(body=body, memo=memo, patch=patches[1], **indexes),
    )
    await clients.waha.aclose()
    assert transport.paths.count("/api/sessions/default/restart") == 1
    assert [patch["status"]["failureCount"] for patch in patches] == [1, 1]
    assert memo["guards"].get(UID).reconciles == 2
