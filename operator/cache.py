"""Watch-fed views of the sessions and their children, so a reconcile reads nothing from the API server.

kopf indexes (`session_*` below) keep, per (namespace, session name), the little the operator needs
of each child: its name, resourceVersion, the Secret's data and whether the Deployment is available.
`Ledger` remembers, per child, the digest of what we last applied and the resourceVersion the server
answered; a child whose cached version and our intent both still match needs no write.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf

from conectafy import labels
from conectafy.kube.client import DEPLOYMENTS, PVCS, SECRETS, SERVICES, Resource, decode_secret
from conectafy.operator.identity import MANAGED_BY

#: Children carry these labels (identity.labels_for); kopf filters its watch events by them.
CHILD_LABELS: dict[str, Any] = {labels.APP_MANAGED_BY: MANAGED_BY, labels.SESSION: kopf.PRESENT}
#: Index name (the handler keyword kopf passes it as) → the child resource it follows.
CHILD_INDEXES: dict[str, Resource] = {
    "session_secrets": SECRETS,
    "session_pvcs": PVCS,
    "session_deployments": DEPLOYMENTS,
    "session_services": SERVICES,
}
SessionKey = tuple[str, str]  # (namespace, session name)


@dataclass(frozen=True)
class ChildState:
    """One child as the watch last delivered it (only what reconciling needs)."""

    name: str
    resource_version: str
    secret_data: dict[str, str] = field(default_factory=dict)
    available: bool = False
    uid: str = ""  # the Secret's uid names it as the guard owner of the Deployment and the Service
    #: The Secret's owners: an older operator made the session own it, which we undo.
    owner_references: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Children:
    """A session's four children from the caches; None = not (yet) seen by the watch."""

    secret: ChildState | None = None
    pvc: ChildState | None = None
    deployment: ChildState | None = None
    service: ChildState | None = None


def is_available(deployment: Mapping[str, Any] | None) -> bool:
    """Available = at least one ready replica that the Deployment controller counts as available."""
    if deployment is None:
        return False
    wanted = (deployment.get("spec") or {}).get("replicas", 1)
    available = (deployment.get("status") or {}).get("availableReplicas") or 0
    return bool(wanted) and available >= 1


def child_state(body: Mapping[str, Any]) -> ChildState:
    """A snapshot (kopf bodies are live views; an index must keep plain values)."""
    meta = body.get("metadata") or {}
    kind = body.get("kind")
    return ChildState(
        name=meta.get("name", ""),
        resource_version=str(meta.get("resourceVersion") or ""),
        secret_data=decode_secret(body) if kind == "Secret" else {},
        available=is_available(body) if kind == "Deployment" else False,
        uid=str(meta.get("uid") or ""),
        owner_references=tuple(dict(owner) for owner in meta.get("ownerReferences") or [])
        if kind == "Secret"
        else (),
    )


def session_key_of(body: Mapping[str, Any]) -> SessionKey:
    meta = body.get("metadata") or {}
    return meta.get("namespace", ""), (meta.get("labels") or {}).get(labels.SESSION, "")


async def index_child(body: kopf.Body, **_: Any) -> dict[SessionKey, ChildState]:
    """The indexing function of every child kind: (namespace, session) → its state. Async on purpose:
    kopf runs a sync handler in its thread pool, a thread hop per watch event (~10 % of the operator's
    CPU at 500 sessions, py-spy)."""
    return {session_key_of(body): child_state(body)}


async def index_session(body: kopf.Body, **_: Any) -> dict[SessionKey, dict[str, Any]]:
    """(namespace, name) → a plain copy of the session, so a child's watch event can rebuild it.
    `managedFields` (large on a real server, never read here) is left out before copying."""
    meta = {key: value for key, value in (body.get("metadata") or {}).items() if key != "managedFields"}
    raw = copy.deepcopy({**body, "metadata": meta})
    return {(meta.get("namespace", ""), meta.get("name", "")): raw}


def session_of(indexes: Mapping[str, Any], key: SessionKey) -> dict[str, Any] | None:
    """The session a child belongs to, from the `sessions` index; None when it is not known."""
    index = indexes.get("sessions")
    if index is None or key not in index:
        return None
    return next(iter(index[key]), None)


def _one(index: kopf.Index[SessionKey, ChildState] | None, key: SessionKey, name: str) -> ChildState | None:
    if index is None or key not in index:
        return None
    return next((state for state in index[key] if state.name == name), None)


def children_of(indexes: Mapping[str, Any], key: SessionKey, name: str) -> Children:
    """The session's children from the handler's index keywords (kopf passes each index by name)."""
    found = {attr: _one(indexes.get(index), key, name) for attr, index in _ATTR.items()}
    return Children(**found)


_ATTR = {
    "secret": "session_secrets",
    "pvc": "session_pvcs",
    "deployment": "session_deployments",
    "service": "session_services",
}


def digest(desired: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(desired, sort_keys=True).encode()).hexdigest()


#: How many versions of a child the ledger remembers as needing nothing (ours, and the ones our writes
#: overwrote): a cache that lags behind our last writes still shows one of them, which is not drift.
OWN_VERSIONS = 4


@dataclass(frozen=True)
class _Applied:
    """What we last applied to one child, the versions the server answered (and those our writes
    overwrote; the last is our latest write's), and that child's generation and metadata as our last
    write left them (`_untouched`)."""

    intent: str
    versions: tuple[str, ...]
    untouched: str


def _untouched(body: Mapping[str, Any]) -> str:
    """A child's spec generation and metadata: what another writer's change of our fields alters, and
    a controller's status update does not (a Deployment's status moves several times per rollout)."""
    meta = body.get("metadata") or {}
    return digest({key: meta.get(key) for key in ("generation", "labels", "annotations", "ownerReferences")})


class Ledger:
    """What the operator last applied to each child and the versions the server answered.

    In memory: after a restart every child is applied once (resume), then only on change."""

    def __init__(self) -> None:
        self._applied: dict[tuple[str, str, str], _Applied] = {}

    @staticmethod
    def _key(resource: Resource, namespace: str, name: str) -> tuple[str, str, str]:
        return resource.plural, namespace, name

    def is_current(self, resource: Resource, desired: Mapping[str, Any], cached: ChildState | None) -> bool:
        """True when the cached child is one we wrote (the last, or an earlier one the watch has not
        caught up from) and we would apply the same intent again."""
        if cached is None:
            return False
        meta = desired["metadata"]
        entry = self._applied.get(self._key(resource, meta["namespace"], meta["name"]))
        return (
            entry is not None
            and entry.intent == digest(desired)
            and cached.resource_version in entry.versions
        )

    def _key_of(self, resource: Resource, body: Mapping[str, Any]) -> tuple[str, str, str]:
        meta = body.get("metadata") or {}
        return self._key(resource, meta.get("namespace", ""), meta.get("name", ""))

    def _entry_of(self, resource: Resource, body: Mapping[str, Any]) -> _Applied | None:
        return self._applied.get(self._key_of(resource, body))

    def needs_heal(self, resource: Resource, body: Mapping[str, Any], *, deleted: bool) -> bool:
        """Whether a child's watch event shows someone else's change: a deletion, or a version that
        is not one of our writes. Children this process never applied are left to resume/timer.

        A kind with a spec generation (Deployments) whose generation and metadata are as our last write
        left them changed only in status (the controller's rollout): that version is taken as ours, so
        neither this event nor the next timer tick applies anything."""
        key = self._key_of(resource, body)
        entry = self._applied.get(key)
        if entry is None:
            return False
        meta = body.get("metadata") or {}
        version = str(meta.get("resourceVersion") or "")
        if deleted or version in entry.versions:
            return deleted
        if meta.get("generation") and _untouched(body) == entry.untouched:
            versions = (*entry.versions, version)[-OWN_VERSIONS:]
            self._applied[key] = _Applied(entry.intent, versions, entry.untouched)
            return False
        return True

    def last_write(self, resource: Resource, body: Mapping[str, Any]) -> str | None:
        """The version our latest write of this child got. A heal that waited for the session's lock
        and finds it changed knows another path (the timer, a handler) wrote the child meanwhile: that
        force-apply already put our fields back, and the cache may not show it yet."""
        entry = self._entry_of(resource, body)
        return entry.versions[-1] if entry and entry.versions else None

    def record(
        self,
        resource: Resource,
        desired: Mapping[str, Any],
        live: Mapping[str, Any],
        *,
        replaced: ChildState | None = None,
    ) -> None:
        """Our write of `desired` answered with `live`. `replaced`: the cached child it was applied over.
        A version of someone else's that this write overwrote needs nothing more from us: a path that
        waited for the session's lock while we healed (the timer) and still sees it in a lagging cache
        would otherwise apply the same intent a second time."""
        meta = desired["metadata"]
        key = self._key(resource, meta["namespace"], meta["name"])
        version = str((live.get("metadata") or {}).get("resourceVersion") or "")
        known = entry.versions if (entry := self._applied.get(key)) else ()
        if replaced is not None and replaced.resource_version not in known:
            known = (*known, replaced.resource_version)
        self._applied[key] = _Applied(digest(desired), (*known, version)[-OWN_VERSIONS:], _untouched(live))

    def forget(self, namespace: str, child_name: str) -> None:
        """The session is gone: drop its children's entries (all children share one name)."""
        for key in [key for key in self._applied if key[1:] == (namespace, child_name)]:
            del self._applied[key]
