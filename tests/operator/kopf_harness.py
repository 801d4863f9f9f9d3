"""Run the operator (kopf's KopfRunner) against kmock, the Kubernetes API emulator, in one test.

kmock serves from the test's event loop while kopf runs in KopfRunner's own thread and loop, so the
test must keep its loop free: waiting is `eventually(...)` (poll with a deadline, never a bare
sleep) and stopping the runner happens in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import kmock
from kopf.testing import KopfRunner

from conectafy.demo import apiserver
from conectafy.demo.apiserver import (  # noqa: F401 - re-exported for the operator tests
    APPLY_PATCH,
    DEPLOYMENTS,
    EVENTS,
    PVCS,
    SECRETS,
    SERVICES,
    SESSIONS,
    ApiServerEmulator,
    declare_resources,
)
from conectafy.operator.guard import Guards
from conectafy.operator.handlers import build_registry
from conectafy.operator.observed import Serving
from conectafy.session import API_VERSION, GROUP, KIND, PLURAL, VERSION
from conectafy.settings import OperatorSettings

NAMESPACE = "tenant-a"

T = TypeVar("T")


def write_kubeconfig(path: Path, server_url: str) -> Path:
    """A kubeconfig pointing at kmock whose context namespace is the tests' namespace."""
    return apiserver.write_kubeconfig(path, server_url, NAMESPACE)


def session_body(name: str, uid: str, spec: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    """A WhatsAppSession as `kubectl apply` would store it (kmock assigns no uid, so we do)."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": uid,
            "generation": 1,
            "resourceVersion": "1",
            **meta,
        },
        "spec": spec or {},
    }


async def eventually(probe: Callable[[], T | None], within: float = 15.0) -> T:
    """Poll `probe` until it returns a truthy value; fail with the last value after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s; last value: {value!r}")
        await asyncio.sleep(0.05)


def live(server: kmock.KubernetesEmulator, resource: str, name: str) -> dict[str, Any] | None:
    """The object as the emulated API server holds it now; None when absent or deleted."""
    try:
        obj = server.objects[resource, NAMESPACE, name]
    except KeyError:
        return None
    return None if obj.deleted else dict(obj.raw)


def requests_to(server: kmock.KubernetesEmulator, resource: str, *methods: str) -> list[Any]:
    """Requests the operator made for one resource (e.g. "apps/v1/deployments"), by HTTP method."""
    group_version, plural = resource.rsplit("/", 1)
    prefix = "/api/v1/" if group_version == "v1" else f"/apis/{group_version}/"
    return [
        request
        for request in list(server)
        if request.url.path.startswith(prefix)
        and f"/{plural}" in request.url.path
        and (not methods or request.method.upper() in methods)
    ]


def watching_sessions(server: kmock.KubernetesEmulator) -> bool:
    return any(
        request.action == kmock.action.WATCH and PLURAL in str(request.url) for request in list(server)
    )


async def kube_request(
    server: kmock.KubernetesEmulator,
    method: str,
    path: str,
    body: Any = None,
    content_type: str = "application/json",
) -> Any:
    """What kubectl would send: the test acts on the API, not on kmock's memory, so kopf sees a watch
    event for it exactly as it would from a real API server."""
    async with aiohttp.ClientSession(base_url=str(server.url)) as client:
        data = None if body is None else json.dumps(body)
        async with client.request(
            method, path, data=data, headers={"Content-Type": content_type}
        ) as response:
            assert response.status < 300, f"{method} {path} -> {response.status}: {await response.text()}"
            return await response.json()


async def apply_session(server: kmock.KubernetesEmulator, body: dict[str, Any]) -> Any:
    return await kube_request(
        server, "POST", f"/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}", body
    )


async def patch_session(server: kmock.KubernetesEmulator, name: str, patch: dict[str, Any]) -> Any:
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}/{name}"
    return await kube_request(server, "PATCH", path, patch, "application/merge-patch+json")


@contextlib.asynccontextmanager
async def running_operator(
    server: kmock.KubernetesEmulator,
    settings: OperatorSettings,
    guards: Guards | None = None,
    serving: Serving | None = None,
    kopf_connections: int | None = None,
) -> AsyncIterator[KopfRunner]:
    """The real operator entry (kopf CLI `run`) with our registry, cluster-wide, no peering."""
    registry = build_registry(
        settings, standalone=True, guards=guards, serving=serving, kopf_connections=kopf_connections
    )
    runner = KopfRunner(
        ["run", "--standalone", "--all-namespaces"],
        registry=registry,
        timeout=30,
    )
    await asyncio.to_thread(runner.__enter__)
    try:
        await eventually(lambda: watching_sessions(server), within=10)
        yield runner
    finally:
        await asyncio.to_thread(runner.__exit__, None, None, None)
