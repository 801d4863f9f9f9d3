"""Fixtures and helpers of the operator's e2e suite (see test_operator.py for what runs where)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import kr8s
import kr8s.asyncio
import pytest
import yaml
from kopf.testing import KopfRunner

from conectafy.operator.connections import pool_size
from conectafy.operator.handlers import build_registry
from conectafy.settings import OperatorSettings
from conectafy.simulator.config import SimulatorConfig
from conectafy.simulator.runner import RunningSimulator, run_simulator
from tests.e2e.fake_kubelet import TOLERATION, call, fake_node, force_delete_pods, run_pods
from tests.support.apiserver import field, wait_crd_served

ROOT = Path(__file__).resolve().parents[2]
CRD = yaml.safe_load((ROOT / "crds" / "whatsappsessions.conectafy.io.yaml").read_text())
EXAMPLE = yaml.safe_load((ROOT / "examples" / "session.yaml").read_text())
NAME = EXAMPLE["metadata"]["name"]
CHILD = f"waha-{NAME}"
API_KEY = "e2e-" + secrets.token_hex(16)
SESSIONS = "conectafy.io/v1alpha1"
CHILDREN = {"secrets": "v1", "persistentvolumeclaims": "v1", "services": "v1", "deployments": "apps/v1"}
MERGE = {"Content-Type": "application/merge-patch+json"}
WAIT = 90.0  # seconds; real controllers are quick, but CI clusters can be slow
UNPROVISIONED = "conectafy-e2e-unprovisioned"  # a StorageClass name that no cluster has


@pytest.fixture(name="api")
async def api_fixture() -> kr8s.asyncio.Api:
    return await kr8s.asyncio.api()


async def get(api: kr8s.asyncio.Api, path: str) -> dict[str, Any] | None:
    try:
        result: dict[str, Any] = await call(api, "GET", path)
    except kr8s.ServerError as error:
        if error.response is not None and error.response.status_code == 404:
            return None
        raise
    return result


async def poll(probe: Any, within: float = WAIT) -> Any:
    """Await `probe()` until it is truthy; fail after `within` seconds (a deadline, not a sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s; last value: {value!r}")
        await asyncio.sleep(0.25)


@pytest.fixture(name="namespace")
async def namespace_fixture(api: kr8s.asyncio.Api) -> AsyncIterator[str]:
    """The CRD (server-side applied, kept like the chart keeps it) and a throw-away namespace.

    Teardown runs after the operator's (which depends on this fixture) has stopped, so the sessions'
    finalizers are dropped first; the namespace is then deleted without waiting for it to go.
    """
    await call(
        api,
        "PATCH",
        f"apiextensions.k8s.io/v1/customresourcedefinitions/{CRD['metadata']['name']}",
        CRD,
        params={"fieldManager": "conectafy-e2e", "force": "true"},
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    await wait_crd_served(api, CRD, seconds=WAIT)
    name = f"conectafy-e2e-{secrets.token_hex(4)}"
    await call(
        api, "POST", "v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    try:
        yield name
    finally:
        try:
            await release_sessions(api, name)
        finally:
            await call(api, "DELETE", f"v1/namespaces/{name}")
            await force_delete_pods(api, name)  # bound to a fake node: no kubelet confirms their end


async def release_sessions(api: kr8s.asyncio.Api, namespace: str) -> None:
    """The operator is gone by now: drop its finalizers, or the namespace would never finish deleting."""
    listing = await call(api, "GET", f"{SESSIONS}/namespaces/{namespace}/whatsappsessions")
    for item in listing["items"]:
        with contextlib.suppress(kr8s.ServerError):  # deleted meanwhile
            path = f"{SESSIONS}/namespaces/{namespace}/whatsappsessions/{item['metadata']['name']}"
            await call(api, "PATCH", path, {"metadata": {"finalizers": None}}, headers=MERGE)


@pytest.fixture(name="node")
async def node_fixture(api: kr8s.asyncio.Api) -> AsyncIterator[str]:
    """A fake node with heartbeats for the whole test (see fake_kubelet)."""
    async with fake_node(api, f"conectafy-e2e-node-{secrets.token_hex(4)}") as name:
        yield name


@pytest.fixture(name="simulator")
async def simulator_fixture() -> AsyncIterator[RunningSimulator]:
    async with run_simulator(SimulatorConfig(api_key=API_KEY, startup_seconds=0.05)) as running:
        yield running


@contextlib.asynccontextmanager
async def run_operator(
    namespace: str, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch, drift_check_interval: float
) -> AsyncIterator[None]:
    """`conectafy operator --namespace NS --standalone`, in-process; settings from the environment."""
    for key, value in {
        "WAHA_URL_TEMPLATE": simulator.url,
        "DRIFT_CHECK_INTERVAL": str(drift_check_interval),
        "STATUS_POLL_INTERVAL": "1",
        "FAILED_RESTART_BACKOFF_BASE": "1",
    }.items():
        monkeypatch.setenv(f"CONECTAFY_{key}", value)
    pool = pool_size([namespace], clusterwide=False, scanning=False)  # as `conectafy operator` bounds it
    registry = build_registry(OperatorSettings(), standalone=True, kopf_connections=pool)
    runner = KopfRunner(["run", "--standalone", "--namespace", namespace], registry=registry, timeout=60)
    await asyncio.to_thread(runner.__enter__)
    try:
        yield
    finally:
        await asyncio.to_thread(runner.__exit__, None, None, None)


@pytest.fixture(name="operator")
async def operator_fixture(
    namespace: str, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    """The operator with a 1 s timer."""
    async with run_operator(namespace, simulator, monkeypatch, drift_check_interval=1):
        yield


@pytest.fixture(name="operator_without_timer")
async def operator_without_timer_fixture(
    namespace: str, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    """The operator with its timer an hour away: whatever it heals, it heals from watch events."""
    async with run_operator(namespace, simulator, monkeypatch, drift_check_interval=3600):
        yield


async def apply_example(api: kr8s.asyncio.Api, namespace: str, node: str, **spec: Any) -> dict[str, Any]:
    """The Secret with the simulator's key (a user's own key is kept), then examples/session.yaml.

    The session is pinned to the fake node (nodeSelector + toleration of its taint), so a real scheduler
    and kubelet never try to run WAHA's image; its claim names a StorageClass that does not exist, so
    no provisioner tries to make a volume on a node that has no kubelet (the claim stays Pending, which
    a pod bound through the API does not mind).
    """
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": CHILD, "namespace": namespace},
        "data": {"api-key": base64.b64encode(API_KEY.encode()).decode()},
    }
    await call(api, "POST", f"v1/namespaces/{namespace}/secrets", secret)
    body = json.loads(json.dumps(EXAMPLE))
    body["metadata"]["namespace"] = namespace
    scheduling = {"nodeSelector": {"kubernetes.io/hostname": node}, "tolerations": [TOLERATION]}
    body["spec"].update(scheduling=scheduling, **spec)
    body["spec"]["storage"]["storageClassName"] = UNPROVISIONED
    created: dict[str, Any] = await call(
        api, "POST", f"{SESSIONS}/namespaces/{namespace}/whatsappsessions", body
    )
    return created


def session_path(namespace: str) -> str:
    return f"{SESSIONS}/namespaces/{namespace}/whatsappsessions/{NAME}"


def child_path(namespace: str, plural: str) -> str:
    return f"{CHILDREN[plural]}/namespaces/{namespace}/{plural}/{CHILD}"


async def children(api: kr8s.asyncio.Api, namespace: str) -> dict[str, dict[str, Any]] | None:
    found = {plural: await get(api, child_path(namespace, plural)) for plural in CHILDREN}
    return found if all(found.values()) else None  # type: ignore[return-value]


async def phase(api: kr8s.asyncio.Api, namespace: str, wanted: str) -> dict[str, Any] | None:
    status = ((await get(api, session_path(namespace))) or {}).get("status") or {}
    return status if status.get("phase") == wanted else None


async def running(api: kr8s.asyncio.Api, namespace: str, node: str) -> bool:
    """Act as the kubelet until the Deployment controller reports the WAHA pod available."""
    await run_pods(api, namespace, NAME, node)
    deployment = await get(api, child_path(namespace, "deployments")) or {}
    return bool(field(deployment, "status", "availableReplicas"))


async def scan_qr(simulator: RunningSimulator) -> None:
    """The phone scans the QR (the simulator's control API)."""
    async with httpx.AsyncClient(base_url=simulator.url, headers={"X-Api-Key": API_KEY}) as client:
        assert (await client.post("/_sim/scan")).status_code < 300
