"""Self-healing that stops, and the operator's /metrics, against the real cluster in KUBECONFIG.

Like test_operator.py: the operator runs in this process against a fresh namespace, WAHA is the
simulator, and `fake_kubelet` plays the kubelet. The storm limit is 1, so one FAILED restart goes
through and the next failure is held (Degraded=True) until `restartedAt` changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import kr8s
import kr8s.asyncio
import pytest
from kopf.testing import KopfRunner
from prometheus_client.parser import text_string_to_metric_families

from conectafy import labels
from conectafy.operator.handlers import build_registry
from conectafy.operator.observed import Serving
from conectafy.settings import OperatorSettings
from conectafy.simulator.runner import RunningSimulator
from conectafy.waha.status import WahaStatus
from tests.e2e.fake_kubelet import call, force_delete_pods
from tests.e2e.operator_env import (  # noqa: F401 - fixtures
    API_KEY,
    MERGE,
    api_fixture,
    apply_example,
    child_path,
    get,
    namespace_fixture,
    node_fixture,
    phase,
    poll,
    running,
    scan_qr,
    session_path,
    simulator_fixture,
)
from tests.support.apiserver import field
from tests.support.net import free_port

pytestmark = pytest.mark.e2e




@pytest.fixture(name="metrics_url")
async def healing_operator(
    namespace: str, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    """`conectafy operator --namespace NS --standalone --metrics …` with a storm limit of 1."""
    for key, value in {
        "WAHA_URL_TEMPLATE": simulator.url,
        "DRIFT_CHECK_INTERVAL": "1",
        "STATUS_POLL_INTERVAL": "1",
        "FAILED_RESTART_BACKOFF_BASE": "1",
        "RESTART_STORM_LIMIT": "1",
    }.items():
        monkeypatch.setenv(f"CONECTAFY_{key}", value)
    url = f"http://127.0.0.1:{free_port()}/metrics"
    registry = build_registry(OperatorSettings(), standalone=True, serving=Serving(url))
    runner = KopfRunner(["run", "--standalone", "--namespace", namespace], registry=registry, timeout=60)
    await asyncio.to_thread(runner.__enter__)
    yield url
    await asyncio.to_thread(runner.__exit__, None, None, None)


async def _sim(simulator: RunningSimulator, action: str) -> None:
    async with httpx.AsyncClient(base_url=simulator.url, headers={"X-Api-Key": API_KEY}) as client:
        assert (await client.post(f"/_sim/{action}")).status_code < 300


async def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as client:
        text = (await client.get(url)).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _status(api: kr8s.asyncio.Api, namespace: str) -> dict[str, Any]:
    return ((await get(api, session_path(namespace))) or {}).get("status") or {}


def _condition(status: dict[str, Any], kind: str) -> tuple[str, str] | None:
    found = next((c for c in status.get("conditions", []) if c["type"] == kind), None)
    return (found["status"], found["reason"]) if found else None


async def _held(api: kr8s.asyncio.Api, namespace: str, simulator: RunningSimulator) -> dict[str, Any] | None:
    """Fail the engine whenever the operator has seen it work again, until the operator holds (it must,
    after one restart). Failing it before the operator saw the recovery would look like a restart that
    never helped — the device-unlinked rule — which is a different story."""
    status = await _status(api, namespace)
    if status.get("healingHold"):
        return status
    if simulator.sim.session.status is WahaStatus.WORKING and status.get("phase") == "Connected":
        await _sim(simulator, "fail")
    return None


async def _rolled(api: kr8s.asyncio.Api, namespace: str, stamp: dict[str, Any]) -> bool:
    """The Deployment controller has seen the new pod template (else `running` would judge the old pod)."""
    deployment = await get(api, child_path(namespace, "deployments")) or {}
    template = (field(deployment, "spec", "template", "metadata", "annotations") or {}).get(
        labels.RESTARTED_AT
    )
    observed = field(deployment, "status", "observedGeneration") == field(
        deployment, "metadata", "generation"
    )
    return observed and template == stamp["metadata"]["annotations"][labels.RESTARTED_AT]


async def test_restart_storm_holds_and_metrics_say_so(
    api: kr8s.asyncio.Api, namespace: str, node: str, simulator: RunningSimulator, metrics_url: str
) -> None:
    await apply_example(api, namespace, node)
    await poll(lambda: running(api, namespace, node))
    await poll(lambda: phase(api, namespace, "ScanQR"))
    await scan_qr(simulator)
    await poll(lambda: phase(api, namespace, "Connected"))
    held = await poll(lambda: _held(api, namespace, simulator))
    assert _condition(held, "Degraded") == ("True", "RestartStorm")
    assert held["phase"] == "Failed"
    samples = await _scrape(metrics_url)
    assert samples[("conectafy_operator_restarts_total", (("reason", "failed"),))] >= 1
    assert (
        samples[
            (
                "conectafy_operator_healing_decisions_total",
                (("decision", "hold"), ("reason", "restart_storm")),
            )
        ]
        >= 1
    )
    assert samples[("conectafy_operator_sessions", (("namespace", namespace), ("phase", "Failed")))] == 1
    assert samples[("conectafy_operator_active_peer", ())] == 1
    stamp = {"metadata": {"annotations": {labels.RESTARTED_AT: "2026-12-03T12:00:00Z"}}}
    await call(api, "PATCH", session_path(namespace), stamp, headers=MERGE)
    await poll(lambda: _rolled(api, namespace, stamp))  # before playing the kubelet for the new pod
    await force_delete_pods(api, namespace)  # Recreate waits for the old pod, which only a kubelet ends
    await poll(lambda: running(api, namespace, node))  # the annotation rolled the pod: play its kubelet
    resumed = await poll(lambda: phase(api, namespace, "Connected"))
    assert _condition(resumed, "Degraded") == ("False", "HealingResumed")
    assert "healingHold" not in resumed
