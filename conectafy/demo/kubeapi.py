"""The demo's Kubernetes API server: the emulated object store plus the few non-object endpoints that
kubectl and `kubectl conectafy` use — the service proxy (WAHA reached through Kubernetes, as the CLI's
`qr` does on a cluster), pod logs, sessions as a Table with the CRD's printer columns (`kubectl get wa`),
and label/field selectors on lists (`kubectl describe` lists a session's Events by field selector).

Everything else is kmock's; docs/demo.md lists what it does not serve.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import aiohttp.web
import httpx
import kmock

from conectafy.crd import build_crd
from conectafy.demo import openapi, tables
from conectafy.demo.apiserver import (
    DEPLOYMENTS,
    EVENTS,
    OBJECT_VERBS,
    PVCS,
    SERVICES,
    SESSIONS,
    ApiServerEmulator,
    declare_resources,
)
from conectafy.session import PLURAL

PODS = "v1/pods"
#: The workload kinds with the short names kubectl users type (`kubectl get deploy,svc,pvc`).
CORE_SHORT_NAMES = [
    (DEPLOYMENTS, "Deployment", "deploy"),
    (SERVICES, "Service", "svc"),
    (PVCS, "PersistentVolumeClaim", "pvc"),
    (EVENTS, "Event", "ev"),
]
NODES = "v1/nodes"
SERVICE_PROXY = re.compile(
    r"^/api/v1/namespaces/(?P<namespace>[^/]+)/services/(?P<service>[^/:]+)(?::[^/]+)?/proxy(?P<path>/.*)?$"
)
POD_LOG = re.compile(r"^/api/v1/namespaces/(?P<namespace>[^/]+)/pods/(?P<pod>[^/]+)/log$")
SESSION_LIST = re.compile(
    rf"^/apis/{re.escape(SESSIONS.rsplit('/', 1)[0])}/(namespaces/[^/]+/)?{PLURAL}(/[^/]+)?$"
)
#: Request headers not forwarded by the proxy (hop-by-hop, or recomputed by the client).
HOP_HEADERS = {
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "accept-encoding",
    "authorization",
}


@dataclass(frozen=True)
class PodRuntime:
    """Where a running pod's container listens and where its output goes (kept by the demo kubelet)."""

    url: str
    log: Path


class DemoApiServer(ApiServerEmulator):
    """The API server `conectafy demo` serves on 127.0.0.1 and writes a kubeconfig for."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.forget_requests = True  # a demo runs for hours: keep no request log
        #: (namespace, pod name) → its container; written by the kubelet.
        self.pods: dict[tuple[str, str], PodRuntime] = {}
        #: Paths of watch requests seen: "is the operator watching yet?"
        self.watched: set[str] = set()
        self._proxy_client: httpx.AsyncClient | None = None

    def _stamp_created(self, meta: dict[str, Any]) -> None:
        meta.setdefault("creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        path, method = raw_request.path, raw_request.method
        if match := SERVICE_PROXY.match(path):
            return await self._proxy(raw_request, match["namespace"], match["service"], match["path"] or "/")
        if method == "GET" and (match := POD_LOG.match(path)):
            return await self._pod_log(raw_request, match["namespace"], match["pod"])
        if method == "GET" and path.startswith("/openapi/v3"):
            return self._openapi(path)
        if method == "GET" and raw_request.query.get("watch") in ("true", "1"):
            self.watched.add(path)
            # kmock streams as application/octet-stream, which kubectl's watch cannot decode.
            setattr(raw_request, "_prepare_hook", _json_stream)  # noqa: B010 - aiohttp's own hook
        response: aiohttp.web.StreamResponse = await super().__call__(raw_request)
        if method == "GET" and isinstance(response, aiohttp.web.Response) and response.status == 200:
            return self._reshape_list(raw_request, response)
        return response

    def _list_type(self, path: str) -> dict[str, str]:
        """`kind: PodList`, `apiVersion: v1` of a list (kubectl decodes nothing without them)."""
        parts = [part for part in path.split("/") if part]
        group_version = "/".join(parts[1:2] if parts[0] == "api" else parts[1:3])
        kind = next(
            (
                info.kind
                for resource, info in self.resources.items()
                if isinstance(resource, kmock.resource) and isinstance(info, kmock.ResourceInfo)
                if resource.plural == parts[-1]
                and f"{resource.group}/{resource.version}".lstrip("/") == group_version
            ),
            None,
        )
        return {"kind": f"{kind}List", "apiVersion": group_version} if kind else {}

    def _openapi(self, path: str) -> aiohttp.web.Response:
        if path.rstrip("/") == "/openapi/v3":
            return aiohttp.web.json_response(openapi.root())
        if path == f"/openapi/v3/{openapi.GROUP_VERSION_PATH}":
            return aiohttp.web.json_response(openapi.group_version(build_crd()))
        return status_response(404, "NotFound", f"no OpenAPI document at {path}")

    async def _serve_version(self, request: Any) -> Any:
        """Discovery as a real server gives it (kubectl relies on each point): the core group is "v1",
        a singular name is the kind's, subresources carry no short names or categories."""
        answer = cast(dict[str, Any], await super()._serve_version(request))
        answer["groupVersion"] = answer["groupVersion"].lstrip("/")
        for entry in answer.get("resources", []):
            if entry["singularName"] == entry["name"]:
                entry["singularName"] = entry["kind"].lower()
            if "/" in entry["name"]:
                entry["shortNames"], entry["categories"] = [], []
        return answer

    def _reshape_list(
        self, raw_request: aiohttp.web.BaseRequest, response: aiohttp.web.Response
    ) -> aiohttp.web.Response:
        """Apply selectors to a list, and answer kubectl's Table request for sessions."""
        if not isinstance(response.body, bytes) or raw_request.query.get("watch") in ("true", "1"):
            return response
        body = json.loads(response.body)
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            body.update(self._list_type(raw_request.path))
            body["items"] = tables.select(
                body["items"], raw_request.query.get("labelSelector"), raw_request.query.get("fieldSelector")
            )
        wants_table = "as=Table" in raw_request.headers.get("Accept", "")
        if wants_table and SESSION_LIST.match(raw_request.path) and isinstance(body, dict):
            items = body.get("items", [body])
            body = tables.session_table(items, build_crd(), body.get("metadata") or {}, datetime.now(UTC))
        return aiohttp.web.json_response(body)

    def _ready_pods(self, namespace: str, selector: dict[str, str]) -> list[PodRuntime]:
        """Running pods of the namespace whose labels match a Service's selector."""
        found = []
        for (pod_namespace, name), runtime in list(self.pods.items()):
            pod = self._live(PODS, pod_namespace, name) if pod_namespace == namespace else None
            labels = ((pod or {}).get("metadata") or {}).get("labels") or {}
            if pod is not None and all(labels.get(key) == value for key, value in selector.items()):
                found.append(runtime)
        return found

    def _live(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        with contextlib.suppress(KeyError):
            obj = self.objects[resource, namespace, name]
            return None if obj.deleted else dict(obj.raw)
        return None

    async def _proxy(
        self, raw_request: aiohttp.web.BaseRequest, namespace: str, service: str, path: str
    ) -> aiohttp.web.StreamResponse:
        """`services/NAME[:PORT]/proxy/PATH`: forward to a ready pod the Service selects."""
        found = self._live(SERVICES, namespace, service)
        if found is None:
            return status_response(404, "NotFound", f'services "{service}" not found')
        pods = self._ready_pods(namespace, (found.get("spec") or {}).get("selector") or {})
        if not pods:
            return status_response(
                503, "ServiceUnavailable", f'no endpoints available for service "{service}"'
            )
        if self._proxy_client is None:
            self._proxy_client = httpx.AsyncClient(timeout=30)
        headers = {k: v for k, v in raw_request.headers.items() if k.lower() not in HOP_HEADERS}
        try:
            answer = await self._proxy_client.request(
                raw_request.method,
                pods[0].url + path,
                params=list(raw_request.query.items()),
                content=await raw_request.read(),
                headers=headers,
            )
        except httpx.HTTPError as error:
            return status_response(503, "ServiceUnavailable", f"error trying to reach service: {error!r}")
        kept = {
            k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "content-disposition")
        }
        return aiohttp.web.Response(status=answer.status_code, body=answer.content, headers=kept)

    async def _pod_log(
        self, raw_request: aiohttp.web.BaseRequest, namespace: str, pod: str
    ) -> aiohttp.web.StreamResponse:
        """`pods/NAME/log[?follow=true&tailLines=N]`: the container's output, followed while it runs."""
        runtime = self.pods.get((namespace, pod))
        if runtime is None:
            return status_response(404, "NotFound", f'pods "{pod}" not found or not running')
        tail = raw_request.query.get("tailLines")
        lines = runtime.log.read_bytes().splitlines(keepends=True) if runtime.log.exists() else []
        if tail is not None and tail.isdigit():
            lines = lines[len(lines) - int(tail) :] if int(tail) else []
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(raw_request)
        await response.write(b"".join(lines))
        if raw_request.query.get("follow") in ("true", "1"):
            await self._follow(response, runtime, namespace, pod)
        await response.write_eof()
        return response

    async def _follow(
        self, response: aiohttp.web.StreamResponse, runtime: PodRuntime, namespace: str, pod: str
    ) -> None:
        offset = runtime.log.stat().st_size if runtime.log.exists() else 0
        while self.pods.get((namespace, pod)) is runtime:
            await asyncio.sleep(0.2)
            size = runtime.log.stat().st_size if runtime.log.exists() else 0
            if size > offset:
                with runtime.log.open("rb") as log:
                    log.seek(offset)
                    await response.write(log.read(size - offset))
                offset = size

    async def __aexit__(self, *exc: Any) -> None:
        if self._proxy_client is not None:
            await self._proxy_client.aclose()
        await super().__aexit__(*exc)


async def _json_stream(response: aiohttp.web.StreamResponse) -> None:
    response.content_type = "application/json"


def live_objects(server: kmock.KubernetesEmulator, resource: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every live object of one resource ("apps/v1/deployments"), by (namespace, name)."""
    wanted = kmock.resource(resource)
    return {
        (namespace or "", name): dict(obj.raw)
        for (kind, namespace, name), obj in list(server.objects.items())
        if kind == wanted and not obj.deleted
    }


def status_response(code: int, reason: str, message: str) -> aiohttp.web.Response:
    """A Kubernetes `Status` failure, as kubectl and kr8s expect errors."""
    body = {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure"}
    return aiohttp.web.json_response(
        {**body, "code": code, "reason": reason, "message": message}, status=code
    )


def declare_demo_resources(server: kmock.KubernetesEmulator) -> None:
    """The operator's resources, plus the pods and the node the demo kubelet runs."""
    declare_resources(server)
    for resource, kind, short in CORE_SHORT_NAMES:
        server.resources[resource] = kmock.ResourceInfo(
            kind=kind,
            namespaced=True,
            shortnames={short},
            verbs=OBJECT_VERBS,
            subresources={"status"} if resource == DEPLOYMENTS else set(),
        )
    server.resources[PODS] = kmock.ResourceInfo(
        kind="Pod", namespaced=True, shortnames={"po"}, verbs=OBJECT_VERBS, subresources={"status", "log"}
    )
    server.resources[NODES] = kmock.ResourceInfo(
        kind="Node", namespaced=False, verbs={"get", "list", "watch"}
    )
