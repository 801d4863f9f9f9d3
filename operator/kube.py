"""The operator's only Kubernetes I/O: get, create-or-patch and delete children, post Events.

kopf does the watching; everything else the operator writes goes through here, so the
Kubernetes error semantics (404 = gone, 409 = already there) live in one place. Requests are made
with kr8s's raw `call_api` so that each call is exactly one HTTP request (the benchmark and the
"second reconcile makes no write" tests count them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import kr8s
import kr8s.asyncio
from ulid import ULID

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
COMPONENT = "conectafy-operator"


@dataclass(frozen=True)
class Resource:
    """A namespaced Kubernetes resource as the REST API addresses it."""

    api_version: str  # "v1", "apps/v1", "conectafy.io/v1alpha1"
    plural: str


SECRETS = Resource("v1", "secrets")
PVCS = Resource("v1", "persistentvolumeclaims")
SERVICES = Resource("v1", "services")
EVENTS = Resource("v1", "events")
DEPLOYMENTS = Resource("apps/v1", "deployments")


class ApplyResult(StrEnum):
    CREATED = "created"
    PATCHED = "patched"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Applied:
    """What `apply_object` did and the object as the API server now has it."""

    result: ApplyResult
    live: dict[str, Any]


#: `is_drifted(desired, live)` from the manifests module: True when live must be patched.
DriftCheck = Callable[[dict[str, Any], dict[str, Any]], bool]


def _status_code(error: kr8s.ServerError) -> int | None:
    return error.response.status_code if error.response is not None else None


@dataclass(frozen=True)
class EventTarget:
    """The object an Event is about (a WhatsAppSession)."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str


class Kube:
    """One kr8s client, made once per operator (kr8s re-reads the kubeconfig for every new client)."""

    def __init__(self, api: kr8s.asyncio.Api) -> None:
        self.api = api

    @classmethod
    async def connect(cls) -> Kube:
        """The in-cluster service account, or KUBECONFIG outside the cluster."""
        return cls(await kr8s.asyncio.api())

    async def get_object(self, resource: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        """The live object, or None when it does not exist (404 is an answer, not an error)."""
        try:
            async with self.api.call_api(
                "GET", version=resource.api_version, namespace=namespace, url=f"{resource.plural}/{name}"
            ) as response:
                return response.json()  # type: ignore[no-any-return]
        except kr8s.ServerError as error:
            if _status_code(error) == 404:
                return None
            raise

    async def create_object(self, resource: Resource, body: dict[str, Any]) -> dict[str, Any] | None:
        """Create `body`; None when it already exists (409), so a racing reconcile is not an error."""
        try:
            async with self.api.call_api(
                "POST",
                version=resource.api_version,
                namespace=body["metadata"]["namespace"],
                url=resource.plural,
                content=json.dumps(body),
            ) as response:
                return response.json()  # type: ignore[no-any-return]
        except kr8s.ServerError as error:
            if _status_code(error) == 409:
                return None
            raise

    async def patch_object(
        self, resource: Resource, namespace: str, name: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        """JSON merge-patch; None when the object vanished meanwhile (the next reconcile recreates it)."""
        try:
            async with self.api.call_api(
                "PATCH",
                version=resource.api_version,
                namespace=namespace,
                url=f"{resource.plural}/{name}",
                headers=MERGE_PATCH,
                content=json.dumps(patch),
            ) as response:
                return response.json()  # type: ignore[no-any-return]
        except kr8s.ServerError as error:
            if _status_code(error) == 404:
                return None
            raise

    async def delete_object(self, resource: Resource, namespace: str, name: str) -> bool:
        """Delete by name; False when it was already gone."""
        try:
            async with self.api.call_api(
                "DELETE", version=resource.api_version, namespace=namespace, url=f"{resource.plural}/{name}"
            ):
                return True
        except kr8s.ServerError as error:
            if _status_code(error) == 404:
                return False
            raise

    async def apply_object(
        self, resource: Resource, desired: dict[str, Any], is_drifted: DriftCheck
    ) -> Applied:
        """Create-or-patch: create when missing, merge-patch only when drifted, else make no write."""
        meta = desired["metadata"]
        live = await self.get_object(resource, meta["namespace"], meta["name"])
        if live is None:
            created = await self.create_object(resource, desired)
            if created is not None:
                return Applied(ApplyResult.CREATED, created)
            live = await self.get_object(resource, meta["namespace"], meta["name"])  # lost a create race
            if live is None:
                raise RuntimeError(f"{resource.plural}/{meta['name']} conflicts on create but cannot be read")
        if not is_drifted(desired, live):
            return Applied(ApplyResult.UNCHANGED, live)
        patched = await self.patch_object(resource, meta["namespace"], meta["name"], desired)
        if patched is None:  # deleted between our read and our patch: create it now
            return await self.apply_object(resource, desired, is_drifted)
        return Applied(ApplyResult.PATCHED, patched)

    async def get_secret(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self.get_object(SECRETS, namespace, name)

    async def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self.get_object(DEPLOYMENTS, namespace, name)

    async def apply_secret(self, desired: dict[str, Any], is_drifted: DriftCheck) -> Applied:
        return await self.apply_object(SECRETS, desired, is_drifted)

    async def apply_pvc(self, desired: dict[str, Any], is_drifted: DriftCheck) -> Applied:
        return await self.apply_object(PVCS, desired, is_drifted)

    async def apply_deployment(self, desired: dict[str, Any], is_drifted: DriftCheck) -> Applied:
        return await self.apply_object(DEPLOYMENTS, desired, is_drifted)

    async def apply_service(self, desired: dict[str, Any], is_drifted: DriftCheck) -> Applied:
        return await self.apply_object(SERVICES, desired, is_drifted)

    async def patch_secret(self, namespace: str, name: str, patch: dict[str, Any]) -> dict[str, Any] | None:
        return await self.patch_object(SECRETS, namespace, name, patch)

    async def delete_deployment(self, namespace: str, name: str) -> bool:
        return await self.delete_object(DEPLOYMENTS, namespace, name)

    async def post_event(
        self, target: EventTarget, reason: str, message: str, *, warning: bool = False
    ) -> None:
        """One core/v1 Event, so `kubectl describe wa` shows the session's history."""
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{target.name}.{str(ULID()).lower()}", "namespace": target.namespace},
            "involvedObject": {
                "apiVersion": target.api_version,
                "kind": target.kind,
                "namespace": target.namespace,
                "name": target.name,
                "uid": target.uid,
            },
            "reason": reason,
            "message": message[:1024],
            "type": "Warning" if warning else "Normal",
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": COMPONENT,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        await self.create_object(EVENTS, body)
