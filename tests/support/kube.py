"""Helpers for tests that run the API against kmock (the Kubernetes API emulator).

kmock changes and announces objects (watch events) only for requests made over HTTP, so what the
operator would do in a real cluster — write a status, create a session's Secret — is done here
through kmock's own HTTP client, not by editing `kmock.objects` directly.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import kmock

from conectafy import labels
from conectafy.operator.identity import MANAGED_BY, child_names
from conectafy.session import API_VERSION, PLURAL

SESSIONS = kmock.resource(f"{API_VERSION}/{PLURAL}")
SECRETS = kmock.resource("v1/secrets")


def prepare_kmock(server: kmock.KubernetesEmulator) -> None:
    """Declare our resources and answer kr8s's version probe (it asks for `/version/`)."""
    server.resources[SESSIONS] = kmock.ResourceInfo()
    server.resources[SECRETS] = kmock.ResourceInfo()
    server["get /version/"] << {"major": "1", "minor": "30", "gitVersion": "v1.30.0"}


def session_path(namespace: str, name: str | None = None) -> str:
    base = f"/apis/{API_VERSION}/namespaces/{namespace}/{PLURAL}"
    return f"{base}/{name}" if name else base


async def operator_writes_status(
    server: kmock.KubernetesEmulator, namespace: str, name: str, status: dict[str, Any]
) -> None:
    """What the operator does after reading WAHA: merge-patch the resource's status."""
    async with server.patch(
        session_path(namespace, name),
        json={"status": status},
        headers={"Content-Type": "application/merge-patch+json"},
    ) as response:
        assert response.status == 200, await response.text()


async def operator_creates_secret(
    server: kmock.KubernetesEmulator, namespace: str, name: str, data: dict[str, str]
) -> None:
    """The session Secret as the operator's build_secret makes it (labels, name, base64 data)."""
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": child_names(name).secret,
            "namespace": namespace,
            "labels": {labels.APP_MANAGED_BY: MANAGED_BY, labels.SESSION: name},
        },
        "type": "Opaque",
        "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()},
    }
    async with server.post(f"/api/v1/namespaces/{namespace}/secrets", json=body) as response:
        assert response.status in (200, 201), await response.text()


async def operator_deletes_session(server: kmock.KubernetesEmulator, namespace: str, name: str) -> None:
    """Someone deletes the resource in the cluster (kubectl delete), not through the API."""
    async with server.delete(session_path(namespace, name)) as response:
        assert response.status == 200, await response.text()


def requests_to(server: kmock.KubernetesEmulator, path_prefix: str) -> int:
    """How many requests kmock has served under a path (to prove that a cache answered instead)."""
    return sum(1 for request in server if request.url.path.startswith(path_prefix))


async def eventually(check: Callable[[], Any], *, within: float = 5.0) -> None:
    """Poll an (async or sync) check until it passes or the timeout elapses (then it raises)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            result = check()
            if asyncio.iscoroutine(result):
                await result
            return
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
        await asyncio.sleep(0.01)
