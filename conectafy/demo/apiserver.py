"""kmock with the bookkeeping kopf relies on, and the resources the operator and the API use.

Shared by the demo and the tests (tests/operator/kopf_harness.py), so both run the operator against
the same emulated API server.
"""

from __future__ import annotations

import collections
import itertools
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonpatch
import kmock
import yaml

from conectafy.session import CATEGORIES, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION

SESSIONS = f"{GROUP}/{VERSION}/{PLURAL}"
SECRETS = "v1/secrets"
PVCS = "v1/persistentvolumeclaims"
SERVICES = "v1/services"
EVENTS = "v1/events"
DEPLOYMENTS = "apps/v1/deployments"
#: The verbs kmock serves for an object resource (no deletecollection: it cannot).
OBJECT_VERBS = {"get", "list", "watch", "create", "patch", "update", "delete"}
APPLY_PATCH = "application/apply-patch+yaml"


class ApiServerEmulator(kmock.KubernetesEmulator):
    """kmock plus the bookkeeping kopf relies on: every write gets a new resourceVersion, creation
    a uid and generation 1, a spec change generation + 1 (kopf needs fresh versions to tell its own
    patches from newer states; without them it re-runs handlers on stale bodies).

    kmock has no server-side apply; `_prepare_apply` emulates the part the operator depends on for a
    single field manager: an apply creates a missing object, replaces the top-level fields it sends
    (so a field left out disappears), and merges ownerReferences by uid (others' references survive).
    Managed-field bookkeeping between several appliers is beyond it: the e2e suite checks that.

    A watch from a resourceVersion (what kopf and kr8s send after a list, and on every re-open) does not
    replay objects that have not changed since, as a real server's watch cache does not: kmock alone
    re-sends every object as ADDED, so each re-opened watch of 500 sessions cost a full re-process."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.versions = itertools.count(100)
        self.last_version = 99
        #: Versions handed out to writes kmock has not applied yet: a list's version stays below them, so
        #: every object at or under it is in the list, and a later watch from it misses nothing.
        self._unapplied: set[int] = set()
        self.request_count = 0
        #: (method, plural, subresource) → requests; the benchmark says what the operator still asks at rest.
        self.requests_by_kind: collections.Counter[tuple[str, str, str]] = collections.Counter()
        #: kmock re-filters its whole request log on every request (O(n²)); the benchmark and the demo,
        #: which make thousands, set this and count with `request_count` instead.
        self.forget_requests = False
        self._applied_owners: dict[Any, set[str]] = {}

    async def _handle(self, request: Any) -> Any:
        self.request_count += 1
        plural = request.resource.plural if request.resource is not None else request.url.path
        self.requests_by_kind[request.method, plural, request.subresource or ""] += 1
        if request.action == kmock.action.UPDATE and _is_apply(request):
            self._prepare_apply(request)
        version = None
        if request.resource is not None and request.action in (kmock.action.CREATE, kmock.action.UPDATE):
            self._stamp(request)
            version = self.last_version
        try:
            return await super()._handle(request)
        except jsonpatch.JsonPatchTestFailed as error:  # a stale resourceVersion: 422, as a real server
            raise kmock.KubernetesError(status=422, reason="Invalid", message=str(error)) from error
        finally:
            if version is not None:
                self._unapplied.discard(version)
            if self.forget_requests and request in self._requests:
                self._requests.remove(request)

    async def _serve_list(self, request: Any) -> Any:
        payload: dict[str, Any] = await super()._serve_list(request)  # type: ignore[assignment]
        listed = min(self._unapplied) - 1 if self._unapplied else self.last_version
        payload["metadata"]["resourceVersion"] = str(listed)  # kmock says "..."
        return payload

    async def _serve_watch(self, request: Any) -> AsyncIterator[Any]:
        since = _version_number(request.params.get("resourceVersion"))
        async for item in super()._serve_watch(request):
            if since and isinstance(item, dict) and item.get("type") == "ADDED":
                seen = _version_number((item.get("object") or {}).get("metadata", {}).get("resourceVersion"))
                if seen is not None and seen <= since:
                    continue  # unchanged since the watcher's version: a real server sends nothing
            yield item

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
        self.last_version = next(self.versions)
        self._unapplied.add(self.last_version)
        version = str(self.last_version)
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
            self._stamp_created(meta)
        elif "spec" in request.data and request.subresource is None:
            try:
                current = self.objects[request.resource, request.namespace, request.name].get("metadata", {})
            except KeyError:
                return  # kmock answers 404 itself
            meta["generation"] = int(current.get("generation") or 0) + 1

    def _stamp_created(self, meta: dict[str, Any]) -> None:
        """More metadata of a new object; the tests' emulator adds none."""


def _version_number(version: Any) -> int | None:
    """Our resourceVersions are integers; anything else (absent, "0", "...") means "from the start"."""
    return int(version) if isinstance(version, str) and version.isdigit() and version != "0" else None


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
        categories=set(CATEGORIES),
        verbs=OBJECT_VERBS,
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


def write_kubeconfig(path: Path, server_url: str, namespace: str) -> Path:
    """A kubeconfig that kopf's login, kr8s and kubectl read: plain HTTP, a token nobody checks."""
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
                        "context": {"cluster": "kmock", "user": "kmock", "namespace": namespace},
                    }
                ],
            }
        )
    )
    return path
