"""Small helpers for e2e tests that talk to the real kube-apiserver in KUBECONFIG (through kr8s).

Every call returns the raw response (no raise) so a test can assert on a 422's message as well as
on a 201's body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import kr8s.asyncio

from conectafy.crd import CRD_NAME, build_crd

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
FIELD_MANAGER = "conectafy-e2e"


async def call(
    api: kr8s.asyncio.Api,
    method: str,
    version: str,
    url: str,
    *,
    namespace: str | None = None,
    body: Any = None,
    content_type: str = JSON,
    params: dict[str, str] | None = None,
    accept: str = JSON,
) -> httpx.Response:
    """One request; `version` "" with a url starting "apis/…"-style paths reaches discovery."""
    headers = {"Accept": accept}
    extra: dict[str, Any] = {}
    if body is not None:
        headers["Content-Type"] = content_type
        extra["content"] = json.dumps(body)
    base = "/apis" if version == "" else ""
    async with api.call_api(
        method,
        version=version,
        base=base,
        namespace=namespace,
        url=url,
        raise_for_status=False,
        params=params or {},
        headers=headers,
        **extra,
    ) as response:
        return response


def field(obj: Any, *path: str) -> Any:
    """`obj[path[0]][path[1]]…`, or None where any level is missing *or null*.

    A real API server omits empty fields and sends some as null (a CRD's `status.conditions` right after
    it is created, a pod's `status` before a kubelet writes it, `metadata.labels` of an unlabelled
    object), so `obj.get("status", {})` is not enough: the key may be there with the value null.
    """
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


async def poll(probe: Any, *, seconds: float = 60.0, interval: float = 0.25) -> Any:
    """Await `probe()` until it returns something truthy; fail after `seconds` with the last value."""
    last = None
    try:
        async with asyncio.timeout(seconds):
            while True:
                last = await probe()
                if last:
                    return last
                await asyncio.sleep(interval)
    except TimeoutError:
        raise AssertionError(f"not reached within {seconds} s; last value: {last!r}") from None


async def apply_crd(api: kr8s.asyncio.Api) -> dict[str, Any]:
    """Server-side apply the generated CRD and wait until it is Established (names accepted, served)."""
    response = await call(
        api,
        "PATCH",
        "apiextensions.k8s.io/v1",
        f"customresourcedefinitions/{CRD_NAME}",
        body=build_crd(),
        content_type=APPLY_PATCH,
        params={"fieldManager": FIELD_MANAGER, "force": "true"},
    )
    assert response.status_code in (200, 201), response.text
    return await wait_crd_served(api, build_crd())


async def wait_crd_served(
    api: kr8s.asyncio.Api, crd: dict[str, Any], *, seconds: float = 60.0
) -> dict[str, Any]:
    """Wait until the CRD is Established *and* its kind is served; returns the stored CRD.

    Established is written by one controller while the request handler learns of the CRD from its own
    informer, so a create right after Established can still get a 404 for a moment; listing the kind
    (cluster-wide, which works for namespaced and cluster-scoped kinds alike) proves it is served.
    """
    name = crd["metadata"]["name"]
    group, plural = crd["spec"]["group"], crd["spec"]["names"]["plural"]
    version = next(v["name"] for v in crd["spec"]["versions"] if v.get("served", True))

    async def served() -> dict[str, Any] | None:
        got = await call(api, "GET", "apiextensions.k8s.io/v1", f"customresourcedefinitions/{name}")
        stored: dict[str, Any] = got.json() if got.status_code == 200 else {}
        conditions = {c.get("type"): c.get("status") for c in field(stored, "status", "conditions") or []}
        if conditions.get("Established") != "True":
            return None
        listing = await call(api, "GET", f"{group}/{version}", plural, params={"limit": "1"})
        return stored if listing.status_code == 200 else None

    result: dict[str, Any] = await poll(served, seconds=seconds)
    return result


@contextlib.asynccontextmanager
async def temporary_namespace(api: kr8s.asyncio.Api, prefix: str) -> AsyncIterator[str]:
    """A fresh namespace for one test, deleted afterwards (deletion finishes in the background)."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    response = await call(api, "POST", "v1", "namespaces", body={"metadata": {"name": name}})
    assert response.status_code == 201, response.text
    try:
        yield name
    finally:
        await call(api, "DELETE", "v1", f"namespaces/{name}")
