"""The CLI's only Kubernetes module: the current kube context (kubeconfig) through kr8s.

Everything a `kubectl conectafy …` command needs — sessions, their WAHA pods and children, logs, and
WAHA itself through the Kubernetes API service proxy, so a user with only kubectl access can pair a
number. Label selectors are also applied client-side so the results never depend on the server
honouring them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import kr8s
import kr8s.asyncio

from conectafy import labels
from conectafy.session import API_VERSION, PLURAL

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
WAHA_APP = "waha"  # app.kubernetes.io/name of every WAHA child (operator/identity.py)
CHILD_PREFIX = "waha-"
API_KEY = "api-key"  # key of the WAHA API key in the session's Secret
SERVICE_PORT = "http"
#: (api version, plural) of every kind of WAHA child the operator makes.
CHILD_RESOURCES = (
    ("apps/v1", "deployments"),
    ("v1", "services"),
    ("v1", "secrets"),
    ("v1", "persistentvolumeclaims"),
)


class KubeError(Exception):
    """A failure the user can act on; the message says what is wrong and where."""


@dataclass(frozen=True)
class Kube:
    """A client bound to one namespace of the current context."""

    api: kr8s.asyncio.Api
    namespace: str


async def connect(namespace: str | None = None, context: str | None = None) -> Kube:
    """The current kube context (or `context`), in `namespace` or the context's namespace."""
    api = await kr8s.asyncio.api(context=context)
    return Kube(api=api, namespace=namespace or api.namespace or "default")


def has_labels(obj: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    have = obj.get("metadata", {}).get("labels") or {}
    return all(have.get(key) == value for key, value in wanted.items())


def _selector(wanted: Mapping[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in wanted.items())


def _status_code(error: kr8s.ServerError) -> int | None:
    return error.response.status_code if error.response is not None else None


async def _list(kube: Kube, version: str, plural: str, wanted: Mapping[str, str]) -> list[dict[str, Any]]:
    params = {"labelSelector": _selector(wanted)} if wanted else {}
    async with kube.api.call_api(
        "GET", version=version, namespace=kube.namespace, url=plural, params=params
    ) as response:
        items: list[dict[str, Any]] = response.json().get("items") or []
    return [item for item in items if has_labels(item, wanted)]


async def list_sessions(kube: Kube) -> list[dict[str, Any]]:
    return await _list(kube, API_VERSION, PLURAL, {})


async def get_session(kube: Kube, name: str) -> dict[str, Any]:
    try:
        async with kube.api.call_api(
            "GET", version=API_VERSION, namespace=kube.namespace, url=f"{PLURAL}/{name}"
        ) as response:
            return response.json()  # type: ignore[no-any-return]
    except kr8s.ServerError as error:
        if _status_code(error) == 404:
            raise KubeError(f"WhatsAppSession {name!r} not found in namespace {kube.namespace!r}") from error
        raise


async def patch_session(kube: Kube, name: str, patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge-patch of one session; a missing session is a clear error."""
    await get_session(kube, name)
    async with kube.api.call_api(
        "PATCH",
        version=API_VERSION,
        namespace=kube.namespace,
        url=f"{PLURAL}/{name}",
        headers=MERGE_PATCH,
        content=json.dumps(patch),
    ) as response:
        return response.json()  # type: ignore[no-any-return]


async def list_waha_pods(kube: Kube, session: str | None = None) -> list[dict[str, Any]]:
    """WAHA pods of the namespace, or of one session."""
    wanted = {labels.APP_NAME: WAHA_APP}
    if session is not None:
        wanted[labels.SESSION] = session
    return await _list(kube, "v1", "pods", wanted)


async def list_waha_children(kube: Kube) -> list[dict[str, Any]]:
    """Every Deployment, Service, Secret and PVC the operator made for any session."""
    children: list[dict[str, Any]] = []
    for version, plural in CHILD_RESOURCES:
        for item in await _list(kube, version, plural, {labels.APP_NAME: WAHA_APP}):
            children.append({"kind": item.get("kind") or _kind_of(plural), **item})
    return children


def _kind_of(plural: str) -> str:
    return {
        "deployments": "Deployment",
        "services": "Service",
        "secrets": "Secret",
        "persistentvolumeclaims": "PersistentVolumeClaim",
    }[plural]


async def stream_logs(kube: Kube, pod: str, *, follow: bool, tail: int | None = None) -> AsyncIterator[str]:
    """The pod's log lines as they come (until the pod ends when following)."""
    params: dict[str, str] = {"follow": "true"} if follow else {}
    if tail is not None:
        params["tailLines"] = str(tail)
    async with kube.api.call_api(
        "GET", version="v1", namespace=kube.namespace, url=f"pods/{pod}/log", params=params, stream=True
    ) as response:
        async for line in response.aiter_lines():
            yield line


async def get_api_key(kube: Kube, session: str) -> str:
    """The session's WAHA API key, from the Secret the operator made."""
    secret_name = f"{CHILD_PREFIX}{session}"
    try:
        async with kube.api.call_api(
            "GET", version="v1", namespace=kube.namespace, url=f"secrets/{secret_name}"
        ) as response:
            data = response.json().get("data") or {}
    except kr8s.ServerError as error:
        if _status_code(error) == 404:
            raise KubeError(
                f"Secret {secret_name!r} not found in {kube.namespace!r}: the operator has "
                "not created the session's WAHA yet"
            ) from error
        raise
    if API_KEY not in data:
        raise KubeError(f"Secret {secret_name!r} has no {API_KEY!r} key")
    return base64.b64decode(data[API_KEY]).decode()


@dataclass(frozen=True)
class Waha:
    """One session's WAHA, reached through the Kubernetes API service proxy."""

    kube: Kube
    session: str
    api_key: str

    def _url(self, path: str) -> str:
        service = quote(f"{CHILD_PREFIX}{self.session}:{SERVICE_PORT}")
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
            async with self.kube.api.call_api(
                method, version="v1", namespace=self.kube.namespace, url=self._url(path), **kwargs
            ) as response:
                return response.json()
        except kr8s.ServerError as error:
            raise KubeError(
                f"WAHA of {self.session!r} answered {_status_code(error)} to {method} {path}: {error}"
            ) from error


async def connect_waha(kube: Kube, session: str) -> Waha:
    return Waha(kube=kube, session=session, api_key=await get_api_key(kube, session))


# --- doctor: Events, the operator's peering object, the API through the service and pod proxies ---------
async def list_events(kube: Kube) -> list[dict[str, Any]]:
    return await _list(kube, "v1", "events", {})


async def get_peering(kube: Kube, name: str) -> dict[str, Any] | None:
    """kopf's peering object: the namespaced one of this namespace, else the cluster-wide one."""
    for namespace, plural in ((kube.namespace, "kopfpeerings"), (None, "clusterkopfpeerings")):
        try:
            async with kube.api.call_api(
                "GET", version="kopf.dev/v1", namespace=namespace, url=f"{plural}/{name}"
            ) as response:
                return response.json()  # type: ignore[no-any-return]
        except kr8s.ServerError as error:
            if _status_code(error) not in (403, 404):
                raise
    return None


async def get_service(kube: Kube, name: str) -> dict[str, Any] | None:
    try:
        async with kube.api.call_api(
            "GET", version="v1", namespace=kube.namespace, url=f"services/{name}"
        ) as response:
            return response.json()  # type: ignore[no-any-return]
    except kr8s.ServerError as error:
        if _status_code(error) == 404:
            return None
        raise


async def list_pods(kube: Kube, selector: Mapping[str, str]) -> list[dict[str, Any]]:
    return await _list(kube, "v1", "pods", selector)


async def proxy_get(kube: Kube, target: str, path: str) -> tuple[int, str]:
    """GET through the API server's proxy (`services/NAME:PORT` or `pods/NAME:PORT`): status and body."""
    kind, _, name = target.partition("/")
    url = f"{kind}/{quote(name)}/proxy/{path.lstrip('/')}"
    try:
        async with kube.api.call_api("GET", version="v1", namespace=kube.namespace, url=url) as response:
            return response.status_code, response.text
    except kr8s.ServerError as error:
        failed = error.response
        return (_status_code(error) or 0), (failed.text if failed is not None else str(error))
