"""Do what a kubelet would, through the API only, so the e2e suite needs no image and no kubelet.

A fake Node is registered (Ready, with capacity, tainted so that nothing else lands on it) and kept
alive by heartbeats — its Lease in kube-node-lease and its Ready condition — for as long as a test
runs, because kube-controller-manager's node lifecycle controller marks a silent node NotReady after
its grace period (40 to 50 s), marks its pods unready and finally taints it for eviction. A WAHA pod is
bound to it through the `binding` subresource (what the scheduler does; on a cluster that has a
scheduler, whichever binds first wins) and its status is written Running/Ready through the `status`
subresource (what the kubelet does). The ReplicaSet and Deployment controllers of the real
kube-controller-manager then count the pod as available, exactly as they would for a real one.
Nothing here touches the operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from typing import Any

import httpx
import kr8s
import kr8s.asyncio

from tests.support.apiserver import field

MERGE = {"Content-Type": "application/merge-patch+json"}
#: The fake node's taint; a session that should run there tolerates it (see `TOLERATION`).
TAINT = {"key": "conectafy.io/e2e", "value": "fake", "effect": "NoSchedule"}
TOLERATION = {"key": TAINT["key"], "operator": "Equal", "value": TAINT["value"], "effect": TAINT["effect"]}
LEASE_NAMESPACE = "kube-node-lease"
LEASE_SECONDS = 40
#: Seconds between heartbeats; well inside the node lifecycle controller's grace period.
HEARTBEAT_INTERVAL = 10.0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now_micro() -> str:
    """A Lease's renewTime is a MicroTime (microseconds, RFC 3339)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def call(api: kr8s.asyncio.Api, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
    """One raw request; `path` starts with the API version: "v1/nodes", "apps/v1/namespaces/ns/…"."""
    parts = path.split("/")
    version, url = (
        ("v1", "/".join(parts[1:])) if parts[0] == "v1" else ("/".join(parts[:2]), "/".join(parts[2:]))
    )
    content = None if body is None else json.dumps(body)
    async with api.call_api(method, version=version, url=url, content=content, **kwargs) as response:
        return response.json() if response.content else None


async def register_node(api: kr8s.asyncio.Api, name: str) -> None:
    """A tainted node (only pods that tolerate TAINT go there), then its first heartbeat."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "conectafy.io/e2e": "fake"}},
        "spec": {"taints": [TAINT]},
    }
    created = await call(api, "POST", "v1/nodes", node)
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": LEASE_NAMESPACE,
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": name, "uid": created["metadata"]["uid"]}
            ],
        },
        "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_SECONDS, "renewTime": _now_micro()},
    }
    await call(api, "POST", f"coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases", lease)
    await renew_node(api, name)


async def renew_node(api: kr8s.asyncio.Api, name: str) -> None:
    """One heartbeat: the Lease's renewTime and the Ready condition's lastHeartbeatTime, as a kubelet."""
    path = f"coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases/{name}"
    await call(api, "PATCH", path, {"spec": {"renewTime": _now_micro()}}, headers=MERGE)
    capacity = {"cpu": "16", "memory": "64Gi", "pods": "110"}
    status = {
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "fake kubelet",
                    "lastHeartbeatTime": _now(),
                    "lastTransitionTime": _now(),
                }
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.31.0",
                "architecture": "amd64",
                "operatingSystem": "linux",
                "containerRuntimeVersion": "fake://0",
                "kernelVersion": "",
                "osImage": "",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
                "kubeProxyVersion": "",
            },
        }
    }
    await call(api, "PATCH", f"v1/nodes/{name}/status", status, headers=MERGE)


@contextlib.asynccontextmanager
async def fake_node(api: kr8s.asyncio.Api, name: str) -> AsyncIterator[str]:
    """A registered node that keeps beating until the block ends; then it (and its Lease) is deleted,
    also when the registration itself failed half-way."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL)
            try:
                await renew_node(api, name)
            except (kr8s.ServerError, httpx.HTTPError):  # an API blip: the next beat is well in time
                continue

    try:
        await register_node(api, name)
        heartbeat = asyncio.create_task(beat())
        try:
            yield name
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
    finally:
        await delete_node(api, name)


async def delete_node(api: kr8s.asyncio.Api, name: str) -> None:
    """The node and its Lease (the Lease's owner reference would let GC do it, but not at once)."""
    for path in (f"coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases/{name}", f"v1/nodes/{name}"):
        with contextlib.suppress(kr8s.ServerError):  # already gone: nothing to clean
            await call(api, "DELETE", path)


async def session_pods(api: kr8s.asyncio.Api, namespace: str, session: str) -> list[dict[str, Any]]:
    listing = await call(
        api,
        "GET",
        f"v1/namespaces/{namespace}/pods",
        params={"labelSelector": f"conectafy.io/session={session}"},
    )
    return [pod for pod in listing["items"] if not pod["metadata"].get("deletionTimestamp")]


async def run_pods(api: kr8s.asyncio.Api, namespace: str, session: str, node: str) -> int:
    """Bind every live pod of the session to `node` and report it Running and Ready; returns how many."""
    pods = await session_pods(api, namespace, session)
    path = f"v1/namespaces/{namespace}/pods"
    for pod in pods:
        name = pod["metadata"]["name"]
        if not pod["spec"].get("nodeName"):
            binding = {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": name},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node},
            }
            await _tolerating(409, call(api, "POST", f"{path}/{name}/binding", binding))
        if not _is_ready(pod):  # a kubelet writes Ready once, not on every sync
            patch = call(api, "PATCH", f"{path}/{name}/status", _ready_status(pod), headers=MERGE)
            await _tolerating(404, patch)
    return len(pods)


def _is_ready(pod: dict[str, Any]) -> bool:
    conditions = field(pod, "status", "conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


async def _tolerating(status: int, request: Awaitable[Any]) -> None:
    """Binding: 409 means a real scheduler (kind) bound the pod first — to the fake node, the only one
    its nodeSelector allows (404 too: the pod may be deleted by its ReplicaSet meanwhile). Status:
    404 when the pod went away between our list and our patch."""
    try:
        await request
    except kr8s.ServerError as error:
        if error.response is None or error.response.status_code not in (status, 404):
            raise


def _ready_status(pod: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    containers = [
        {
            "name": c["name"],
            "image": c["image"],
            "imageID": "",
            "ready": True,
            "started": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": now}},
        }
        for c in pod["spec"]["containers"]
    ]
    conditions = [
        {"type": kind, "status": "True", "lastTransitionTime": now}
        for kind in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
    ]
    return {
        "status": {
            "phase": "Running",
            "conditions": conditions,
            "containerStatuses": containers,
            "startTime": now,
            "hostIP": "10.255.0.1",
            "podIP": "10.255.0.2",
            "podIPs": [{"ip": "10.255.0.2"}],
        }
    }


async def force_delete_pods(api: kr8s.asyncio.Api, namespace: str, session: str | None = None) -> None:
    """A kubelet confirms a pod's death; without one, deleted pods stay Terminating, so finish them
    (the session's pods, or every pod of the namespace)."""
    params = {"labelSelector": f"conectafy.io/session={session}"} if session else {}
    listing = await call(api, "GET", f"v1/namespaces/{namespace}/pods", params=params)
    for pod in listing["items"]:
        with contextlib.suppress(kr8s.ServerError):  # already gone
            path = f"v1/namespaces/{namespace}/pods/{pod['metadata']['name']}"
            await call(api, "DELETE", path, params={"gracePeriodSeconds": "0"})
