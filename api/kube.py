"""The API's one Kubernetes module: WhatsAppSession resources and the operator's session Secrets.

Everything else in the API calls Kubernetes through `Kube`, which owns the error semantics::

    KubeError                  any failure talking to the API server
    ├── KubeUnavailable        not reachable / timed out / 5xx: retry later, /ready says no
    ├── SessionNotFound        404 on a named resource
    ├── SessionConflict        409 on create (the name is taken)
    └── SessionInvalid         422: the API server (CRD schema) rejected the object
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import kr8s
import kr8s.asyncio

from conectafy import labels
from conectafy.logs import get_logger
from conectafy.operator.identity import MANAGED_BY, child_names
from conectafy.session import API_VERSION, PLURAL, WhatsAppSession

log = get_logger(__name__)

_MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
#: Server-side watch timeout: the stream ends and is re-opened, so a silently dead connection heals.
WATCH_TIMEOUT_SECONDS = 300


class KubeError(Exception):
    """A Kubernetes call failed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KubeUnavailable(KubeError):
    pass


class SessionNotFound(KubeError):
    pass


class SessionConflict(KubeError):
    pass


class SessionInvalid(KubeError):
    pass


_BY_STATUS: dict[int, type[KubeError]] = {404: SessionNotFound, 409: SessionConflict, 422: SessionInvalid}


@dataclass(frozen=True)
class WatchEvent:
    """ADDED, MODIFIED or DELETED with the object as the server sent it; SYNCED after the initial list."""

    type: str
    object: dict[str, Any]


def decode_secret(secret: dict[str, Any]) -> dict[str, str]:
    """A Secret's base64 `data` as text."""
    return {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}


def _translate(error: Exception) -> KubeError:
    if isinstance(error, kr8s.ServerError) and error.response is not None:
        status = error.response.status_code
        return _BY_STATUS.get(status, KubeUnavailable if status >= 500 else KubeError)(str(error), status)
    return KubeUnavailable(f"{error.__class__.__name__}: {error}")


_FAILURES = (kr8s.ServerError, httpx.HTTPError, OSError, ValueError, KeyError, kr8s.APITimeoutError)
ApiFactory = Callable[[], Awaitable[kr8s.asyncio.Api]]


class Kube:
    """WhatsAppSessions and session Secrets of one namespace, through a lazily connected kr8s client.

    The client is created on first use, so the API starts (and `/ready` reports why) without a cluster.
    """

    def __init__(
        self, namespace: str, *, url: str | None = None, api_factory: ApiFactory | None = None
    ) -> None:
        self.namespace = namespace
        self._factory = api_factory or (lambda: kr8s.asyncio.api(url=url) if url else kr8s.asyncio.api())
        self._api: kr8s.asyncio.Api | None = None
        self._lock = asyncio.Lock()

    async def _client(self) -> kr8s.asyncio.Api:
        async with self._lock:
            if self._api is None:
                try:
                    self._api = await self._factory()
                except _FAILURES as error:
                    raise _translate(error) from error
            return self._api

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request under /apis (CRs) or /api (core) in our namespace; errors become KubeErrors."""
        api = await self._client()
        version, base = (API_VERSION, "/apis") if path.startswith(PLURAL) else ("v1", "/api")
        try:
            async with api.call_api(
                method, version=version, base=base, namespace=self.namespace, url=path, **kwargs
            ) as response:
                return response.json()  # type: ignore[no-any-return]
        except _FAILURES as error:
            raise _translate(error) from error

    async def ping(self) -> None:
        """Readiness: the sessions of our namespace can be listed (API server up, CRD installed, RBAC ok)."""
        await self._call("GET", PLURAL, params={"limit": "1"})

    async def create_session(self, session: WhatsAppSession) -> WhatsAppSession:
        body = session.to_k8s()
        body["metadata"]["namespace"] = self.namespace
        return WhatsAppSession.model_validate(await self._call("POST", PLURAL, json=body))

    async def get_session(self, name: str) -> WhatsAppSession:
        return WhatsAppSession.model_validate(await self._call("GET", f"{PLURAL}/{name}"))

    async def list_sessions(self, owner: str) -> list[WhatsAppSession]:
        """The owner's sessions (filtered here too: the label is the tenancy boundary)."""
        answer = await self._call("GET", PLURAL, params={"labelSelector": f"{labels.OWNER}={owner}"})
        items = [WhatsAppSession.model_validate(item) for item in answer.get("items", [])]
        return [item for item in items if item.metadata.labels.get(labels.OWNER) == owner]

    async def patch_session(self, name: str, patch: dict[str, Any]) -> WhatsAppSession:
        """A JSON merge patch (RFC 7386): only the given keys change, `None` removes a key."""
        answer = await self._call(
            "PATCH", f"{PLURAL}/{name}", content=json.dumps(patch), headers=_MERGE_PATCH
        )
        return WhatsAppSession.model_validate(answer)

    async def delete_session(self, name: str) -> bool:
        """False when it was already gone (deleting twice is not an error)."""
        try:
            await self._call("DELETE", f"{PLURAL}/{name}")
        except SessionNotFound:
            return False
        return True

    async def get_session_secret(self, name: str) -> dict[str, str] | None:
        """The decoded Secret the operator made for session `name`; None until it exists."""
        try:
            return decode_secret(await self._call("GET", f"secrets/{child_names(name).secret}"))
        except SessionNotFound:
            return None

    async def watch_sessions(self) -> AsyncIterator[WatchEvent]:
        """List, then watch from the list's version: ADDED for each existing session, one SYNCED
        (object `{"names": [...]}`: every session that exists now), then the changes as they come."""
        answer = await self._call("GET", PLURAL)
        items = answer.get("items", [])
        for item in items:
            yield WatchEvent(type="ADDED", object=item)
        yield WatchEvent(type="SYNCED", object={"names": [item["metadata"]["name"] for item in items]})
        async for event in self._watch(PLURAL, None, answer.get("metadata", {}).get("resourceVersion")):
            yield event

    def watch_session_secrets(self) -> AsyncIterator[WatchEvent]:
        """Only the operator's session Secrets: the API never sees any other Secret of the namespace."""
        return self._watch("secrets", f"{labels.APP_MANAGED_BY}={MANAGED_BY},{labels.SESSION}")

    async def _watch(
        self, path: str, selector: str | None, resource_version: str | None = None
    ) -> AsyncIterator[WatchEvent]:
        """One watch stream until the server ends it (timeout, 410 Gone); the caller re-opens it.

        Without a resource version the server starts with ADDED for every existing object (a resync).
        """
        api = await self._client()
        params = {"watch": "true", "timeoutSeconds": str(WATCH_TIMEOUT_SECONDS)}
        if selector:
            params["labelSelector"] = selector
        if resource_version:
            params["resourceVersion"] = resource_version
        version, base = (API_VERSION, "/apis") if path == PLURAL else ("v1", "/api")
        try:
            async with api.call_api(
                "GET",
                version=version,
                base=base,
                namespace=self.namespace,
                url=path,
                params=params,
                stream=True,
                timeout=None,
            ) as response:
                async for line in response.aiter_lines():
                    event = json.loads(line) if line.strip() else None
                    if event and event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                        yield WatchEvent(type=event["type"], object=event["object"])
                    elif event and event.get("type") == "ERROR":
                        log.info("watch ended by the server", path=path, status=event.get("object"))
                        return
        except _FAILURES as error:
            raise _translate(error) from error

    async def aclose(self) -> None:
        """Close the HTTP connections (kr8s has no public close; its session is an httpx client)."""
        session = getattr(self._api, "_session", None)
        if session is not None:
            await session.aclose()
