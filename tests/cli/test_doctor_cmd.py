"""`doctor` against kmock: sessions, Events and kopf's peering object from the API server, the API's
/ready and the real API app's /metrics through the service and pod proxies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import kmock
import pytest
from prometheus_client import generate_latest

from conectafy.api import metrics as api_metrics
from conectafy.api.main import create_app
from conectafy.cli.doctor import metric_sum
from conectafy.settings import ApiSettings
from tests.cli.conftest import NAMESPACE, SESSIONS, CliRun, make_session

Response = kmock.Response  # type: ignore[attr-defined]
PEERINGS = "kopf.dev/v1/kopfpeerings"
READY = re.compile(rf"/api/v1/namespaces/{NAMESPACE}/services/conectafy-api(?::|%3A)http/proxy/ready")
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")
POD_METRICS = re.compile(rf"/api/v1/namespaces/{NAMESPACE}/pods/(api-[ab])(?::|%3A)8000/proxy/metrics")


def screen(output: str) -> list[str]:
    """The command's lines; the in-process API app's access log (same stdout) is left out."""
    return [line for line in output.splitlines() if not LOG_LINE.match(line)]


def stamp(minutes_ago: float) -> str:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def condition(kind: str, value: str, reason: str, message: str, minutes_ago: float) -> dict[str, str]:
    return {
        "type": kind,
        "status": value,
        "reason": reason,
        "message": message,
        "lastTransitionTime": stamp(minutes_ago),
    }


def event(name: str, session: str, reason: str, message: str, minutes_ago: float) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "involvedObject": {"kind": "WhatsAppSession", "name": session},
        "reason": reason,
        "message": message,
        "type": "Warning",
        "lastTimestamp": stamp(minutes_ago),
    }


def api_pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app.kubernetes.io/component": "api"}},
        "spec": {"containers": [{"name": "api", "ports": [{"name": "http", "containerPort": 8000}]}]},
    }


def peering(*peers: tuple[str, int, float]) -> dict[str, Any]:
    status = {name: {"priority": prio, "lifetime": 60, "lastseen": stamp(ago)} for name, prio, ago in peers}
    return {
        "apiVersion": "kopf.dev/v1",
        "kind": "KopfPeering",
        "metadata": {"name": "conectafy"},
        "status": status,
    }


@pytest.fixture
def cluster(kube: kmock.KubernetesEmulator) -> Iterator[kmock.KubernetesEmulator]:
    """An installation: the API Service with two pods whose /metrics is the real API app's."""
    kube.resources["v1/events"] = kmock.ResourceInfo(namespaced=True)
    kube.resources[PEERINGS] = kmock.ResourceInfo(kind="KopfPeering", namespaced=True)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "conectafy-api", "namespace": NAMESPACE},
        "spec": {
            "selector": {"app.kubernetes.io/component": "api"},
            "ports": [{"name": "http", "port": 8000, "targetPort": "http"}],
        },
    }
    kube.objects["v1/services", NAMESPACE, "conectafy-api"] = service
    for name in ("api-a", "api-b"):
        kube.objects["v1/pods", NAMESPACE, name] = api_pod(name)
    app = create_app(ApiSettings())

    async def metrics_of(request: kmock.Request) -> Any:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            answer = await client.get("/metrics")
        return Response(status=200, payload=answer.content, headers={"Content-Type": "text/plain"})

    kube["get", POD_METRICS] << metrics_of
    kube.objects[SESSIONS, NAMESPACE, "sales"] = make_session("sales", status={"phase": "Connected"})
    kube.objects[PEERINGS, NAMESPACE, "conectafy"] = peering(
        ("operator-1", 900, 0.2), ("operator-2", 10, 0.3)
    )
    yield kube


def ready(kube: kmock.KubernetesEmulator, status: int) -> None:
    kube["get", READY] << Response(
        status=status, payload={"status": "ok" if status == 200 else "unavailable"}
    )


async def test_a_healthy_namespace_is_all_good_and_exits_0(
    cluster: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    # The API's metrics are process-wide: earlier tests of this run may have dead-lettered deliveries.
    api_metrics.webhook_deliveries.reset()
    ready(cluster, 200)
    result = await cli("doctor")
    lines = screen(result.output)
    assert (result.exit_code, lines[0], lines[1], lines[2]) == (
        0,
        f"Namespace {NAMESPACE}: 1 session(s), 0 not Connected",
        "Operator active peer: operator-1 (priority 900; 2 live peer(s))",
        "API readiness: ready",
    )
    assert lines[-1] == "All good."


async def test_sessions_that_need_a_person_are_explained_and_exit_1(
    cluster: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    ready(cluster, 200)
    unlinked = condition("Connected", "False", "DeviceUnlinked", "Re-pair this number.", 5)
    cluster.objects[SESSIONS, NAMESPACE, "support"] = make_session(
        "support", status={"phase": "ScanQR", "lastConnectedAt": stamp(60), "conditions": [unlinked]}
    )
    storm = condition("Degraded", "True", "RestartStorm", "Self-healing stopped.", 2)
    restarts = [stamp(200), stamp(50), stamp(20), stamp(3)]
    cluster.objects[SESSIONS, NAMESPACE, "flaky"] = make_session(
        "flaky", status={"phase": "Failed", "restartTimes": restarts, "conditions": [storm]}
    )
    cluster.objects[SESSIONS, NAMESPACE, "fresh"] = make_session("fresh", status={"phase": "ScanQR"})
    cluster.objects[SESSIONS, NAMESPACE, "archive"] = make_session(
        "archive", status={"phase": "Stopped"}, paused=True
    )
    cluster.objects["v1/events", NAMESPACE, "e1"] = event("e1", "support", "LoggedOut", "Logged out.", 6)
    cluster.objects["v1/events", NAMESPACE, "e2"] = event("e2", "support", "DeviceUnlinked", "Unlinked.", 5)
    result = await cli("doctor")
    assert result.exit_code == 1, result.output
    assert screen(result.output)[:10] == [
        f"Namespace {NAMESPACE}: 5 session(s), 3 not Connected",
        "  ! flaky: Failed, 3 restart(s) in the last hour",
        "      condition:  Degraded=True RestartStorm: Self-healing stopped.",
        "      last event: <none>",
        "  - fresh: ScanQR, 0 restart(s) in the last hour",
        "      condition:  <none>",
        "      last event: <none>",
        "  ! support: ScanQR, 0 restart(s) in the last hour",
        "      condition:  Connected=False DeviceUnlinked: Re-pair this number.",
        "      last event: Warning DeviceUnlinked: Unlinked.",
    ]
    assert result.output.rstrip().endswith("Needs a person.")


async def test_no_active_peer_and_an_unready_api_need_a_person(
    cluster: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    ready(cluster, 503)
    tie = peering(("operator-1", 5, 0.1), ("operator-2", 5, 0.1))
    cluster.objects[PEERINGS, NAMESPACE, "conectafy"] = tie
    result = await cli("doctor")
    lines = screen(result.output)
    assert result.exit_code == 1
    assert lines[1] == "Operator active peer: NO ACTIVE PEER (live peers: operator-1, operator-2)"
    assert lines[2] == 'API readiness: NOT READY (503): {"status": "unavailable"}'


async def test_webhook_counts_are_summed_over_the_api_pods(
    cluster: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    ready(cluster, 200)
    api_metrics.WEBHOOK_REJECTED_SIGNATURES.inc(2)
    api_metrics.WEBHOOK_DELIVERIES.labels("message", "dead_lettered").inc()
    exposition = generate_latest(api_metrics.REGISTRY).decode()
    rejected = metric_sum(exposition, "conectafy_api_webhook_rejected_signatures_total")
    dead = metric_sum(exposition, "conectafy_api_webhook_deliveries_total", outcome="dead_lettered")
    result = await cli("doctor")
    assert result.exit_code == 1  # a dead letter waits for a person
    webhooks = next(line for line in screen(result.output) if line.startswith("Webhooks:"))
    counts = f"{2 * rejected:g} rejected signature(s), {2 * dead:g} dead letter(s)"
    assert webhooks == f"Webhooks: {counts} (since the API pods started)"
