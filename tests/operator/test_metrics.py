"""The operator's /metrics against kmock and the simulator: a session moving through its phases moves
the gauges, and the request/write counters count what the reconcile code did."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import kmock
import kopf
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conectafy.kube import KubeClient
from conectafy.operator import metrics
from conectafy.operator.metrics import request_labels
from conectafy.operator.metrics_server import PeerCheck, is_active
from conectafy.operator.observed import Serving, error_reason
from conectafy.simulator.runner import RunningSimulator
from tests.operator.kopf_harness import (
    DEPLOYMENTS,
    NAMESPACE,
    ApiServerEmulator,
    apply_session,
    eventually,
    live,
    running_operator,
    session_body,
)
from tests.operator.steps import (
    CHILD,
    NAME,
    fast_settings,
    mark_available,
    seed_api_key,
    sim_control,
)
from tests.support.net import free_port

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)

UID = "0d6b1c2e-0000-4000-8000-0000000000b1"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sessions_in(samples: Samples, phase: str) -> float | None:
    return samples.get(("conectafy_operator_sessions", (("namespace", NAMESPACE), ("phase", phase))))


async def test_phase_gauges_follow_a_session_from_qr_to_connected(
    kube: ApiServerEmulator, simulator: RunningSimulator
) -> None:
    metrics.PHASE_SINCE.clear()  # process-wide: earlier operators of this test run left their series
    url = f"http://127.0.0.1:{free_port()}/metrics"
    async with running_operator(kube, fast_settings(simulator), serving=Serving(url)):
        await seed_api_key(kube)
        await apply_session(kube, session_body(NAME, UID))
        await eventually(lambda: live(kube, DEPLOYMENTS, CHILD))
        await mark_available(kube)
        waiting = await eventually_scraped(url, lambda s: sessions_in(s, "ScanQR") == 1)
        await sim_control(simulator, "scan")
        connected = await eventually_scraped(url, lambda s: sessions_in(s, "Connected") == 1)
    assert (sessions_in(waiting, "Connected"), sessions_in(connected, "ScanQR")) == (0, 0)
    since_key = ("namespace", NAMESPACE), ("phase", "Connected"), ("session", NAME)
    since = connected[("conectafy_operator_session_phase_since_timestamp_seconds", since_key)]
    assert abs(since - datetime.now(UTC).timestamp()) < 60
    assert not any(
        name == "conectafy_operator_session_phase_since_timestamp_seconds" and ("phase", "ScanQR") in labels
        for name, labels in connected
    )  # one series per session: the old phase's series is gone
    assert connected[("conectafy_operator_active_peer", ())] == 1  # standalone
    assert connected[("conectafy_operator_child_writes_total", (("kind", "Deployment"),))] >= 1
    # children are server-side applied (PATCH) by the shared client, whose request hook counts them
    assert connected[("conectafy_operator_kubernetes_requests_total", (("verb", "patch"),))] >= 3
    assert connected[("conectafy_operator_reconcile_duration_seconds_count", ())] >= 2
    assert connected[("conectafy_operator_waha_poll_duration_seconds_count", ())] >= 2


async def eventually_scraped(url: str, check: Callable[[Samples], bool]) -> Samples:
    """Scrape until `check(samples)` holds (15 s at most)."""
    for _ in range(150):
        samples = await scrape(url)
        if check(samples):
            return samples
        await asyncio.sleep(0.1)
    raise AssertionError(f"never true; last scrape: {samples}")


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        ("GET", "deployments/waha-a", ("get", None)),
        ("GET", "whatsappsessions", ("list", None)),
        ("POST", "secrets", ("create", "Secret")),
        ("PATCH", "deployments/waha-a", ("patch", "Deployment")),
        ("DELETE", "persistentvolumeclaims/waha-a", ("delete", "PersistentVolumeClaim")),
        ("POST", "events", ("create", None)),  # an Event is not a child
    ],
)
def test_request_labels(method: str, url: str, expected: tuple[str, str | None]) -> None:
    assert request_labels(method, url) == expected


def _caused(cause: BaseException) -> BaseException:
    """What the handlers raise: kopf's TemporaryError from the underlying error."""
    error = kopf.TemporaryError("Kubernetes API: refused", delay=1)
    error.__cause__ = cause
    return error


def _peering(**priorities: int) -> dict[str, object]:
    seen = datetime.now(UTC).isoformat()
    status = {name: {"priority": p, "lifetime": 60, "lastseen": seen} for name, p in priorities.items()}
    return {
        "apiVersion": "kopf.dev/v1",
        "kind": "KopfPeering",
        "metadata": {"name": "conectafy"},
        "status": status,
    }


@pytest.mark.parametrize(("mine", "active"), [(900, True), (10, False)])
async def test_active_peer_is_read_from_the_peering_object(
    kube: ApiServerEmulator, mine: int, active: bool
) -> None:
    """The replica whose priority tops the live peers is the active one; the other is on standby."""
    kube.resources["kopf.dev/v1/kopfpeerings"] = kmock.ResourceInfo(kind="KopfPeering", namespaced=True)
    kube.objects["kopf.dev/v1/kopfpeerings", NAMESPACE, "conectafy"] = _peering(a=900, b=10)
    client = KubeClient.from_config()
    check = PeerCheck(standalone=False, name="conectafy", namespace=NAMESPACE, priority=mine)
    assert await is_active(client, check, datetime.now(UTC)) is active


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (kopf.PermanentError("bad spec"), "invalid_spec"),
        (ValueError("bug"), "internal"),
        (_caused(httpx.ConnectError("refused")), "kubernetes_unreachable"),
    ],
)
def test_reconcile_error_reasons(error: BaseException, reason: str) -> None:
    assert error_reason(error) == reason
