"""Do what a kubelet would, through the API only, so the e2e suite needs no image and no kubelet.

A fake Node is registered (Ready, with capacity); a WAHA pod is bound to it through the `binding`
subresource (what the scheduler does) and its status is written Running/Ready (what the kubelet
does). The ReplicaSet and Deployment controllers of the real kube-controller-manager then count the
pod as available, exactly as they would for a real one. Nothing here touches the operator.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import kr8s
import kr8s.asyncio

MERGE = {"Content-Type": "application/merge-patch+json"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    """A Ready node with room for pods; the node lifecycle controller would mark it NotReady only after
    its grace period (≈40 s without heartbeats), so `renew_node` refreshes the heartbeat."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "conectafy.io/e2e": "fake"}},
    }
    await call(api, "POST", "v1/nodes", node)
    await renew_node(api, name)


async def renew_node(api: kr8s.asyncio.Api, name: str) -> None:
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


async def delete_node(api: kr8s.asyncio.Api, name: str) -> None:
    with contextlib.suppress(kr8s.ServerError):  # already gone: nothing to clean
        await call(api, "DELETE", f"v1/nodes/{name}")


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
    for pod in pods:
        name = pod["metadata"]["name"]
        if not pod["spec"].get("nodeName"):
            binding = {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": name},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node},
            }
            await call(api, "POST", f"v1/namespaces/{namespace}/pods/{name}/binding", binding)
        await call(
            api, "PATCH", f"v1/namespaces/{namespace}/pods/{name}/status", _ready_status(pod), headers=MERGE
        )
    return len(pods)


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


async def force_delete_pods(api: kr8s.asyncio.Api, namespace: str, session: str) -> None:
    """A kubelet confirms a pod's death; without one, deleted pods stay Terminating, so finish them."""
    listing = await call(
        api,
        "GET",
        f"v1/namespaces/{namespace}/pods",
        params={"labelSelector": f"conectafy.io/session={session}"},
    )
    for pod in listing["items"]:
        with contextlib.suppress(kr8s.ServerError):  # already gone
            path = f"v1/namespaces/{namespace}/pods/{pod['metadata']['name']}"
            await call(api, "DELETE", path, params={"gracePeriodSeconds": "0"})
