"""WhatsAppSession resources and the operator's session Secrets of one namespace.

The API and the CLI both reach sessions through `Kube`; the operator only writes children
(`conectafy.kube.children`). All of them share `KubeClient`'s error semantics and in-flight bound.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from conectafy import labels
from conectafy.kube.client import SECRETS, ApiFactory, KubeClient, decode_secret
from conectafy.kube.errors import NotFound
from conectafy.logs import get_logger
from conectafy.operator.identity import MANAGED_BY, child_names
from conectafy.session import API_VERSION, PLURAL, WhatsAppSession

log = get_logger(__name__)

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
#: Server-side watch timeout: the stream ends and is re-opened, so a silently dead connection heals.
WATCH_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class WatchEvent:
    """ADDED, MODIFIED or DELETED with the object as the server sent it; SYNCED after the initial list."""

    type: str
    object: dict[str, Any]


class Kube:
    """Sessions and session Secrets of one namespace, through one lazily connected `KubeClient`."""

    def __init__(
        self,
        namespace: str,
        *,
        url: str | None = None,
        api_factory: ApiFactory | None = None,
        client: KubeClient | None = None,
    ) -> None:
        self.namespace = namespace
        if client is None:
            client = KubeClient(api_factory) if api_factory else KubeClient.from_config(url=url)
        self.client = client

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request for our CRs (under /apis) or a core object (under /api) in our namespace."""
        version = API_VERSION if path.startswith(PLURAL) else "v1"
        return await self.client.request(method, version, path, namespace=self.namespace, **kwargs)

    async def ping(self) -> None:
        """Readiness: the sessions of our namespace can be listed (API server up, CRD installed, RBAC ok)."""
        await self._call("GET", PLURAL, params={"limit": "1"})

    async def create_session(self, session: WhatsAppSession) -> WhatsAppSession:
        body = session.to_k8s()
        body["metadata"]["namespace"] = self.namespace
        return WhatsAppSession.model_validate(await self._call("POST", PLURAL, json=body))

    async def get_session_object(self, name: str) -> dict[str, Any]:
        """The session as the API server has it (NotFound names the namespace)."""
        try:
            return await self._call("GET", f"{PLURAL}/{name}")
        except NotFound as error:
            raise NotFound(
                f"WhatsAppSession {name!r} not found in namespace {self.namespace!r}", 404
            ) from error

    async def get_session(self, name: str) -> WhatsAppSession:
        return WhatsAppSession.model_validate(await self.get_session_object(name))

    async def list_session_objects(self, owner: str | None = None) -> list[dict[str, Any]]:
        """All sessions, or one owner's (filtered here too: the label is the tenancy boundary)."""
        params = {"labelSelector": f"{labels.OWNER}={owner}"} if owner else {}
        items: list[dict[str, Any]] = (await self._call("GET", PLURAL, params=params)).get("items") or []
        if owner is None:
            return items
        return [item for item in items if (item["metadata"].get("labels") or {}).get(labels.OWNER) == owner]

    async def list_sessions(self, owner: str) -> list[WhatsAppSession]:
        return [WhatsAppSession.model_validate(item) for item in await self.list_session_objects(owner)]

    async def patch_session_object(self, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        """A JSON merge patch (RFC 7386): only the given keys change, `None` removes a key."""
        try:
            return await self._call(
                "PATCH", f"{PLURAL}/{name}", content=json.dumps(patch), headers=MERGE_PATCH
            )
        except NotFound as error:
            raise NotFound(
                f"WhatsAppSession {name!r} not found in namespace {self.namespace!r}", 404
            ) from error

    async def patch_session(self, name: str, patch: dict[str, Any]) -> WhatsAppSession:
        return WhatsAppSession.model_validate(await self.patch_session_object(name, patch))

    async def delete_session(self, name: str) -> bool:
        """False when it was already gone (deleting twice is not an error)."""
        try:
            await self._call("DELETE", f"{PLURAL}/{name}")
        except NotFound:
            return False
        return True

    async def get_session_secret(self, name: str) -> dict[str, str] | None:
        """The decoded Secret the operator made for session `name`; None until it exists."""
        try:
            return decode_secret(await self._call("GET", f"{SECRETS.plural}/{child_names(name).secret}"))
        except NotFound:
            return None

    async def watch_sessions(self) -> AsyncIterator[WatchEvent]:
        """List, then watch from the list's version: ADDED for each existing session, one SYNCED
        (object `{"names": [...], "resourceVersion": <the list's>}`: every session that exists now),
        then the changes as they come."""
        answer = await self._call("GET", PLURAL)
        items = answer.get("items", [])
        list_version = answer.get("metadata", {}).get("resourceVersion")
        for item in items:
            yield WatchEvent(type="ADDED", object=item)
        names = [item["metadata"]["name"] for item in items]
        yield WatchEvent(type="SYNCED", object={"names": names, "resourceVersion": list_version})
        async for event in self._watch(PLURAL, None, list_version):
            yield event

    def watch_session_secrets(self) -> AsyncIterator[WatchEvent]:
        """Only the operator's session Secrets: the API never sees any other Secret of the namespace."""
        return self._watch(SECRETS.plural, f"{labels.APP_MANAGED_BY}={MANAGED_BY},{labels.SESSION}")

    async def _watch(
        self, path: str, selector: str | None, resource_version: str | None = None
    ) -> AsyncIterator[WatchEvent]:
        """One watch stream until the server ends it (timeout, 410 Gone); the caller re-opens it.

        Without a resource version the server starts with ADDED for every existing object (a resync).
        """
        params = {"watch": "true", "timeoutSeconds": str(WATCH_TIMEOUT_SECONDS)}
        if selector:
            params["labelSelector"] = selector
        if resource_version:
            params["resourceVersion"] = resource_version
        version = API_VERSION if path == PLURAL else "v1"
        async with self.client.stream(version, path, namespace=self.namespace, params=params) as response:
            async for line in response.aiter_lines():
                event = json.loads(line) if line.strip() else None
                if event and event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                    yield WatchEvent(type=event["type"], object=event["object"])
                elif event and event.get("type") == "ERROR":
                    log.info("watch ended by the server", path=path, status=event.get("object"))
                    return

    async def aclose(self) -> None:
        await self.client.aclose()
