"""The operator's writes: server-side apply of a session's children with one field manager.

Server-side apply replaces get + diff + merge patch: the API server merges our whole intent by field
ownership, so a field we stop sending disappears, fields other managers own (their ownerReferences,
labels, a kubectl scale) survive, and applying an unchanged intent changes nothing on the server.
"""

from __future__ import annotations

import json
from typing import Any

from conectafy.kube.client import KubeClient, Resource
from conectafy.kube.errors import Conflict, NotFound

FIELD_MANAGER = "conectafy-operator"
APPLY_PATCH = {"Content-Type": "application/apply-patch+yaml"}  # JSON is YAML; the server accepts it


async def apply_child(client: KubeClient, resource: Resource, desired: dict[str, Any]) -> dict[str, Any]:
    """Create or update `desired` as our field manager; forced, because the operator is the authority
    over every field it sets (a hand edit of such a field is drift, not a conflict). Returns the object."""
    meta = desired["metadata"]
    return await client.request(
        "PATCH",
        resource.api_version,
        f"{resource.plural}/{meta['name']}",
        namespace=meta["namespace"],
        params={"fieldManager": FIELD_MANAGER, "force": "true"},
        headers=APPLY_PATCH,
        content=json.dumps(desired),
    )


async def create_child(
    client: KubeClient, resource: Resource, desired: dict[str, Any]
) -> dict[str, Any] | None:
    """Create only; None when the name is taken (409), so the caller reads what is there instead of
    overwriting it (the session Secret's keys are generated once and never replaced)."""
    meta = desired["metadata"]
    try:
        return await client.request(
            "POST",
            resource.api_version,
            resource.plural,
            namespace=meta["namespace"],
            params={"fieldManager": FIELD_MANAGER},
            content=json.dumps(desired),
        )
    except Conflict:
        return None


async def get_child(
    client: KubeClient, resource: Resource, namespace: str, name: str
) -> dict[str, Any] | None:
    """One object, None when absent: only for the rare case the watch-fed cache cannot answer."""
    try:
        return await client.request(
            "GET", resource.api_version, f"{resource.plural}/{name}", namespace=namespace
        )
    except NotFound:
        return None


MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


async def patch_child(
    client: KubeClient, resource: Resource, namespace: str, name: str, patch: dict[str, Any]
) -> dict[str, Any]:
    """A JSON merge patch for what an apply cannot express: removing a list entry another field
    manager owns. Returns the object."""
    return await client.request(
        "PATCH",
        resource.api_version,
        f"{resource.plural}/{name}",
        namespace=namespace,
        params={"fieldManager": FIELD_MANAGER},
        headers=MERGE_PATCH,
        content=json.dumps(patch),
    )


async def delete_child(client: KubeClient, resource: Resource, namespace: str, name: str) -> bool:
    """False when it was already gone (deleting twice is not an error)."""
    try:
        await client.request("DELETE", resource.api_version, f"{resource.plural}/{name}", namespace=namespace)
    except NotFound:
        return False
    return True
