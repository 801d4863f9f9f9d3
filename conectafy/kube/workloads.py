"""What a `kubectl conectafy …` command reads besides sessions: WAHA pods, children, logs, and WAHA
itself through the Kubernetes API service proxy (a user with only kubectl access can pair a number).

Label selectors are also applied client-side, so results never depend on the server honouring them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from conectafy import labels
from conectafy.kube.client import DEPLOYMENTS, PODS, PVCS, SECRETS, SERVICES, KubeClient, Resource
from conectafy.kube.errors import KubeError, NotFound
from conectafy.kube.sessions import Kube
from conectafy.operator.identity import APP_NAME, child_names

API_KEY = "api-key"  # key of the WAHA API key in the session's Secret (operator/manifests.py)
SERVICE_PORT = "http"
#: Every kind of WAHA child the operator makes.
CHILD_RESOURCES = (DEPLOYMENTS, SERVICES, SECRETS, PVCS)


async def connect(namespace: str | None = None, context: str | None = None) -> Kube:
    """The current kube context (or `context`), in `namespace` or the context's namespace."""
    client = KubeClient.from_config(context=context)
    api = await client.api()
    return Kube(namespace or api.namespace or "default", client=client)


def has_labels(obj: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    have = obj.get("metadata", {}).get("labels") or {}
    return all(have.get(key) == value for key, value in wanted.items())


async def _list(kube: Kube, resource: Resource, wanted: Mapping[str, str]) -> list[dict[str, Any]]:
    params = {"labelSelector": ",".join(f"{key}={value}" for key, value in wanted.items())}
    answer = await kube.client.request(
        "GET", resource.api_version, resource.plural, namespace=kube.namespace, params=params
    )
    return [item for item in answer.get("items") or [] if has_labels(item, wanted)]


async def list_waha_pods(kube: Kube, session: str | None = None) -> list[dict[str, Any]]:
    """WAHA pods of the namespace, or of one session."""
    wanted = {labels.APP_NAME: APP_NAME}
    if session is not None:
        wanted[labels.SESSION] = session
    return await _list(kube, PODS, wanted)


async def list_waha_children(kube: Kube) -> list[dict[str, Any]]:
    """Every Deployment, Service, Secret and PVC the operator made for any session."""
    children: list[dict[str, Any]] = []
    for resource in CHILD_RESOURCES:
        for item in await _list(kube, resource, {labels.APP_NAME: APP_NAME}):
            children.append({"kind": item.get("kind") or resource.kind, **item})
    return children


async def stream_logs(kube: Kube, pod: str, *, follow: bool, tail: int | None = None) -> AsyncIterator[str]:
    """The pod's log lines as they come (until the pod ends when following)."""
    params: dict[str, str] = {"follow": "true"} if follow else {}
    if tail is not None:
        params["tailLines"] = str(tail)
    async with kube.client.stream(
        "v1", f"pods/{pod}/log", namespace=kube.namespace, params=params
    ) as response:
        async for line in response.aiter_lines():
            yield line


async def get_api_key(kube: Kube, session: str) -> str:
    """The session's WAHA API key, from the Secret the operator made."""
    secret_name = child_names(session).secret
    data = await kube.get_session_secret(session)
    if data is None:
        raise NotFound(
            f"Secret {secret_name!r} not found in {kube.namespace!r}: the operator has "
            "not created the session's WAHA yet",
            404,
        )
    if API_KEY not in data:
        raise KubeError(f"Secret {secret_name!r} has no {API_KEY!r} key")
    return data[API_KEY]


@dataclass(frozen=True)
class Waha:
    """One session's WAHA, reached through the Kubernetes API service proxy."""

    kube: Kube
    session: str
    api_key: str

    def _url(self, path: str) -> str:
        service = quote(f"{child_names(self.session).service}:{SERVICE_PORT}")
        return f"services/{service}/proxy/{path.lstrip('/')}"

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return await self._call("GET", path, params=dict(params or {}))

    async def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return await self._call(
            "POST",
            path,
            content=json.dumps(body),
            headers={"Content-Type": "application/json", "X-Api-Key": self.api_key},
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        kwargs.setdefault("headers", {"X-Api-Key": self.api_key})
        try:
            return await self.kube.client.request(
                method, "v1", self._url(path), namespace=self.kube.namespace, **kwargs
            )
        except KubeError as error:
            raise KubeError(
                f"WAHA of {self.session!r} answered {error.status} to {method} {path}: {error}", error.status
            ) from error


async def connect_waha(kube: Kube, session: str) -> Waha:
    return Waha(kube=kube, session=session, api_key=await get_api_key(kube, session))


# --- doctor: Events, the operator's peering object, the API through the service and pod proxies ---------
EVENTS = Resource("v1", "events", "Event")


async def list_events(kube: Kube) -> list[dict[str, Any]]:
    return await _list(kube, EVENTS, {})


async def get_peering(kube: Kube, name: str) -> dict[str, Any] | None:
    """kopf's peering object: the namespaced one of this namespace, else the cluster-wide one."""
    for namespace, plural in ((kube.namespace, "kopfpeerings"), (None, "clusterkopfpeerings")):
        try:
            return await kube.client.request("GET", "kopf.dev/v1", f"{plural}/{name}", namespace=namespace)
        except KubeError as error:
            if error.status not in (403, 404):
                raise
    return None


async def get_service(kube: Kube, name: str) -> dict[str, Any] | None:
    try:
        return await kube.client.request("GET", "v1", f"{SERVICES.plural}/{name}", namespace=kube.namespace)
    except NotFound:
        return None


async def list_pods(kube: Kube, selector: Mapping[str, str]) -> list[dict[str, Any]]:
    return await _list(kube, PODS, selector)


async def proxy_get(kube: Kube, target: str, path: str) -> tuple[int, str]:
    """GET through the API server's proxy (`services/NAME:PORT` or `pods/NAME:PORT`): status and body."""
    kind, _, name = target.partition("/")
    url = f"{kind}/{quote(name)}/proxy/{path.lstrip('/')}"
    try:
        async with kube.client.stream("v1", url, namespace=kube.namespace, params={}) as response:
            return response.status_code, (await response.aread()).decode(errors="replace")
    except KubeError as error:  # the proxied answer's own body says why (e.g. /ready's failing check)
        failed = getattr(error.__cause__, "response", None)
        return error.status or 0, failed.text if isinstance(failed, httpx.Response) else str(error)
