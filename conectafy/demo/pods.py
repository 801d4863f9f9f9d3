"""What the demo kubelet writes, as pure functions of the Deployment: the pod, its Ready status, the
Deployment's status, and the container's environment with its Secret references resolved."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

NODE = "demo-node"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def template_hash(deployment: dict[str, Any]) -> str:
    """Changes when the pod template does (a `restartedAt` annotation rolls the pod, as on a cluster)."""
    template = json.dumps(deployment["spec"]["template"], sort_keys=True)
    return hashlib.sha256(template.encode()).hexdigest()[:10]


def wanted_replicas(deployment: dict[str, Any]) -> int:
    """0 while paused or being deleted; the Deployment's replicas otherwise (WAHA's is 1)."""
    if (deployment.get("metadata") or {}).get("deletionTimestamp"):
        return 0
    return int((deployment.get("spec") or {}).get("replicas", 1) or 0)


def decode_secret(secret: dict[str, Any]) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}


def container_env(deployment: dict[str, Any], secrets_data: dict[str, dict[str, str]]) -> dict[str, str]:
    """The first container's environment as a kubelet resolves it (values and secretKeyRefs).

    A missing Secret or key raises KeyError: the kubelet waits, as a real one would
    (CreateContainerConfigError)."""
    env: dict[str, str] = {}
    for item in deployment["spec"]["template"]["spec"]["containers"][0].get("env") or []:
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "secretKeyRef" in (item.get("valueFrom") or {}):
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets_data[ref["name"]][ref["key"]]
    return env


def resolve_env(
    deployment: dict[str, Any], secrets: dict[tuple[str, str], dict[str, Any]]
) -> tuple[dict[str, str], dict[str, dict[str, str]]] | None:
    """The container's environment from the live Secrets (keyed by namespace and name) it names, and
    their decoded data; None while one of them, or a key, is missing (the kubelet waits)."""
    namespace = deployment["metadata"]["namespace"]
    data = {
        name: decode_secret(secrets[(namespace, name)])
        for name in secret_names(deployment)
        if (namespace, name) in secrets
    }
    try:
        return container_env(deployment, data), data
    except KeyError:
        return None


def secret_names(deployment: dict[str, Any]) -> set[str]:
    env = deployment["spec"]["template"]["spec"]["containers"][0].get("env") or []
    return {
        item["valueFrom"]["secretKeyRef"]["name"]
        for item in env
        if "secretKeyRef" in (item.get("valueFrom") or {})
    }


def build_pod(deployment: dict[str, Any], pod_hash: str) -> dict[str, Any]:
    """The pod the ReplicaSet would create, already bound to the demo node."""
    meta = deployment["metadata"]
    template = deployment["spec"]["template"]
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"], "uid": meta.get("uid", "")}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{meta['name']}-{pod_hash}-{secrets.token_hex(3)[:5]}",
            "namespace": meta["namespace"],
            "labels": {**(template.get("metadata") or {}).get("labels", {}), "pod-template-hash": pod_hash},
            "annotations": (template.get("metadata") or {}).get("annotations") or {},
            "ownerReferences": [{**owner, "controller": True}],
        },
        "spec": {**template["spec"], "nodeName": NODE},
        "status": {"phase": "Pending"},
    }


def ready_status(pod: dict[str, Any]) -> dict[str, Any]:
    """Running and Ready, as the kubelet reports once the container answers."""
    now = _now()
    containers = [
        {
            "name": c["name"],
            "image": c["image"],
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
        "phase": "Running",
        "conditions": conditions,
        "containerStatuses": containers,
        "startTime": now,
        "hostIP": "127.0.0.1",
        "podIP": "127.0.0.1",
    }


def deployment_status(deployment: dict[str, Any], ready: int) -> dict[str, Any]:
    """What the Deployment controller writes when `ready` pods (0 or 1) are up."""
    available = "True" if ready else "False"
    reason = "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable"
    return {
        "observedGeneration": (deployment.get("metadata") or {}).get("generation", 1),
        "replicas": ready,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "updatedReplicas": ready,
        "conditions": [{"type": "Available", "status": available, "reason": reason}],
    }


def orphans(objects: dict[tuple[str, str, str], dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Objects whose every owner is gone: what the garbage collector deletes (kmock has none).

    Keys are (resource, namespace, name); an object without ownerReferences is never an orphan."""
    uids = {(obj.get("metadata") or {}).get("uid") for obj in objects.values()}
    return [
        key
        for key, obj in objects.items()
        if (owners := (obj.get("metadata") or {}).get("ownerReferences"))
        and not any(owner.get("uid") in uids for owner in owners)
    ]
