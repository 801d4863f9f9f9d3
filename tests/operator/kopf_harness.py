"""Run the operator (kopf's KopfRunner) against kmock, the Kubernetes API emulator, in one test.

kmock serves from the test's event loop while kopf runs in KopfRunner's own thread and loop, so the
test must keep its loop free: waiting is `eventually(...)` (poll with a deadline, never a bare
sleep) and stopping the runner happens in a worker thread.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import kmock
import yaml
from kopf.testing import KopfRunner

from conectafy.operator.guard import Guards
from conectafy.operator.handlers import build_registry
from conectafy.operator.observed import Serving
from conectafy.session import API_VERSION, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION
from conectafy.settings import OperatorSettings

SESSIONS = f"{GROUP}/{VERSION}/{PLURAL}"
SECRETS = "v1/secrets"
PVCS = "v1/persistentvolumeclaims"
SERVICES = "v1/services"
EVENTS = "v1/events"
DEPLOYMENTS = "apps/v1/deployments"
NAMESPACE = "tenant-a"
APPLY_PATCH = "application/apply-patch+yaml"

T = TypeVar("T")


class ApiServerEmulator(kmock.KubernetesEmulator):
    """kmock plus the bookkeeping kopf relies on: every write gets a new resourceVersion, creation
    a uid and generation 1, a spec change generation + 1 (kopf needs fresh versions to tell its own
    patches from newer states; without them it re-runs handlers on stale bodies).

    kmock has no server-side apply; `_prepare_apply` emulates the part the operator depends on for a
    single field manager: an apply creates a missing object, replaces the top-level fields it sends
    (so a field left out disappears), and merges ownerReferences by uid (others' references survive).
    Managed-field bookkeeping between several appliers is beyond it: the e2e suite checks that."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.versions = itertools.count(100)
        self.request_count = 0
        #: (method, plural, subresource) → requests; the benchmark says what the operator still asks at rest.
        self.requests_by_kind: collections.Counter[tuple[str, str, str]] = collections.Counter()
        #: kmock re-filters its whole request log on every request (O(n²)); the benchmark, which makes
        #: thousands, sets this after setup and counts with `request_count` instead.
        self.forget_requests = False
        self._applied_owners: dict[Any, set[str]] = {}

    async def _handle(self, request: Any) -> Any:
        self.request_count += 1
        plural = request.resource.plural if request.resource is not None else request.url.path
        self.requests_by_kind[request.method, plural, request.subresource or ""] += 1
        if request.action == kmock.action.UPDATE and _is_apply(request):
            self._prepare_apply(request)
        if request.resource is not None and request.action in (kmock.action.CREATE, kmock.action.UPDATE):
            self._stamp(request)
        try:
            return await super()._handle(request)
        finally:
            if self.forget_requests and request in self._requests:
                self._requests.remove(request)

    def _prepare_apply(self, request: Any) -> None:
        key = (request.resource, request.namespace, request.name)
        meta = request.data.setdefault("metadata", {})
        if key not in self._objects or self._objects[key].deleted:
            self._objects[key] = {"metadata": {"name": request.name, "namespace": request.namespace}}
            self._objects[key].patch({"metadata": {"uid": str(uuid.uuid4()), "generation": 0}})
        obj = self._objects[key]
        sent = [key for key in request.data if key not in ("apiVersion", "kind", "metadata", "status")]
        obj.patch({field: None for field in sent})
        ours = {ref["uid"] for ref in meta.get("ownerReferences") or []}
        theirs = [
            ref
            for ref in obj.get("metadata", {}).get("ownerReferences") or []
            if ref["uid"] not in ours and ref["uid"] not in self._applied_owners.get(key, set())
        ]
        self._applied_owners[key] = ours
        meta["ownerReferences"] = [*theirs, *(meta.get("ownerReferences") or [])] or None

    def _stamp(self, request: Any) -> None:
        version = str(next(self.versions))
        if isinstance(request.data, list):  # JSON patch (kopf's finalizers)
            request.data.append({"op": "replace", "path": "/metadata/resourceVersion", "value": version})
            return
        if not isinstance(request.data, dict):
            return
        meta = request.data.setdefault("metadata", {})
        meta["resourceVersion"] = version
        if request.action == kmock.action.CREATE and meta.get("generateName") and not meta.get("name"):
            meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:8]}"  # as the server does (Events)
        if request.action == kmock.action.CREATE:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("generation", 1)
        elif "spec" in request.data and request.subresource is None:
            try:
                current = self.objects[request.resource, request.namespace, request.name].get("metadata", {})
            except KeyError:
                return  # kmock answers 404 itself
            meta["generation"] = int(current.get("generation") or 0) + 1


def _is_apply(request: Any) -> bool:
    content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    return APPLY_PATCH in content_type


def declare_resources(server: kmock.KubernetesEmulator) -> None:
    """What the CRD and the core API groups would announce in discovery."""
    server.resources[SESSIONS] = kmock.ResourceInfo(
        kind=KIND,
        singular=SINGULAR,
        namespaced=True,
        shortnames=set(SHORT_NAMES),
        verbs={"get", "list", "watch", "create", "patch", "update", "delete"},
        subresources={"status"},
    )
    server.resources["apiextensions.k8s.io/v1/customresourcedefinitions"] = kmock.ResourceInfo(
        kind="CustomResourceDefinition", namespaced=False, verbs={"get", "list", "watch"}
    )
    server["get /version/"] << {
        "major": "1",
        "minor": "31",
        "gitVersion": "v1.31.0",
    }  # kr8s asks with a slash
    # kopf waits for namespaces in discovery; it never lists them cluster-wide (kmock cannot parse that URL).
    server.resources["v1/namespaces"] = kmock.ResourceInfo(
        kind="Namespace", namespaced=False, verbs={"get", "list", "watch"}
    )
    for resource, kind in [
        (SECRETS, "Secret"),
        (PVCS, "PersistentVolumeClaim"),
        (SERVICES, "Service"),
        (EVENTS, "Event"),
        (DEPLOYMENTS, "Deployment"),
    ]:
        server.resources[resource] = kmock.ResourceInfo(
            kind=kind, namespaced=True, verbs={"get", "list", "watch", "create", "patch", "delete"}
        )


def write_kubeconfig(path: Path, server_url: str) -> Path:
    """A kubeconfig that both kopf's login and kr8s read, pointing at kmock (plain HTTP, no auth)."""
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "kmock",
                "clusters": [{"name": "kmock", "cluster": {"server": server_url}}],
                "users": [{"name": "kmock", "user": {"token": "kmock"}}],
                "contexts": [
                    {
                        "name": "kmock",
                        "context": {"cluster": "kmock", "user": "kmock", "namespace": NAMESPACE},
                    }
                ],
            }
        )
    )
    return path


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
) -> AsyncIterator[KopfRunner]:
    """The real operator entry (kopf CLI `run`) with our registry, cluster-wide, no peering."""
    runner = KopfRunner(
        ["run", "--standalone", "--all-namespaces"],
        registry=build_registry(settings, standalone=True, guards=guards, serving=serving),
        timeout=30,
    )
    await asyncio.to_thread(runner.__enter__)
    try:
        await eventually(lambda: watching_sessions(server), within=10)
        yield runner
    finally:
        await asyncio.to_thread(runner.__exit__, None, None, None)
