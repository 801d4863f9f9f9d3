"""`kubectl conectafy release-finalizers` on a real API server, with no operator running.

A session keeps the operator's finalizer after `kubectl delete` (and so does a namespace being deleted
around it); the command releases only that finalizer, and refuses while a kopf peer is alive. The shared
test cluster may run other people's operators, which the command's cluster-wide check rightly counts:
tests that are not about that check pass `--force`.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import kr8s.asyncio
import pytest
from typer.testing import CliRunner, Result

from conectafy import labels
from conectafy.cli import app
from conectafy.session import API_VERSION, PLURAL
from tests.support.apiserver import (
    APPLY_PATCH,
    FIELD_MANAGER,
    MERGE_PATCH,
    apply_crd,
    call,
    field,
    poll,
    wait_crd_served,
)
from tests.support.helm import chart_crds

pytestmark = pytest.mark.e2e

KEEP = "example.com/keep"  # someone else's finalizer: must survive
WAIT = 90.0


@pytest.fixture
async def api() -> kr8s.asyncio.Api:
    client = await kr8s.asyncio.api()
    await apply_crd(client)
    return client


@pytest.fixture
async def namespace(api: kr8s.asyncio.Api) -> AsyncIterator[str]:
    """A fresh namespace; whatever a test leaves is released and the namespace deleted."""
    name = f"conectafy-e2e-release-{secrets.token_hex(4)}"
    assert (await call(api, "POST", "v1", "namespaces", body={"metadata": {"name": name}})).status_code == 201
    try:
        yield name
    finally:
        listing = await call(api, "GET", API_VERSION, PLURAL, namespace=name)
        for item in (listing.json().get("items") or []) if listing.status_code == 200 else []:
            patch = {"metadata": {"finalizers": None}}
            url = f"{PLURAL}/{item['metadata']['name']}"
            await call(api, "PATCH", API_VERSION, url, namespace=name, body=patch, content_type=MERGE_PATCH)
        await call(api, "DELETE", "v1", f"namespaces/{name}")


async def deleting_session(api: kr8s.asyncio.Api, namespace: str, name: str, finalizers: list[str]) -> None:
    """A session as the operator leaves it (its finalizer on), then `kubectl delete` with no operator."""
    body = {"apiVersion": API_VERSION, "kind": "WhatsAppSession",
            "metadata": {"name": name, "finalizers": finalizers}, "spec": {"paused": True}}
    assert (await call(api, "POST", API_VERSION, PLURAL, namespace=namespace, body=body)).status_code == 201
    deleted = await call(api, "DELETE", API_VERSION, f"{PLURAL}/{name}", namespace=namespace)
    assert deleted.status_code in (200, 202), deleted.text


async def session(api: kr8s.asyncio.Api, namespace: str, name: str) -> dict[str, Any] | None:
    response = await call(api, "GET", API_VERSION, f"{PLURAL}/{name}", namespace=namespace)
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


async def conectafy(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def test_a_deleted_namespace_finishes_once_released(api: kr8s.asyncio.Api, namespace: str) -> None:
    await deleting_session(api, namespace, "sales", [labels.FINALIZER])
    await call(api, "DELETE", "v1", f"namespaces/{namespace}")
    result = await conectafy("release-finalizers", "-n", namespace, "--force")
    assert (result.exit_code, result.output.splitlines()[1].split(None, 2)) == (
        0, [namespace, "sales", "released (no WAHA logout)"]
    ), result.output

    async def namespace_gone() -> bool:
        return (await call(api, "GET", "v1", f"namespaces/{namespace}")).status_code == 404

    await poll(namespace_gone, seconds=WAIT)


async def test_only_the_operators_finalizer_is_removed(api: kr8s.asyncio.Api, namespace: str) -> None:
    await deleting_session(api, namespace, "support", [KEEP, labels.FINALIZER])
    result = await conectafy("release-finalizers", "-n", namespace, "--force")
    left = await session(api, namespace, "support")
    assert (result.exit_code, field(left, "metadata", "finalizers")) == (0, [KEEP]), result.output


async def test_refuses_while_a_kopf_peer_is_alive(api: kr8s.asyncio.Api, namespace: str) -> None:
    (peering_crd,) = [crd for crd in chart_crds() if crd["spec"]["names"]["kind"] == "KopfPeering"]
    url = f"customresourcedefinitions/{peering_crd['metadata']['name']}"
    params = {"fieldManager": FIELD_MANAGER, "force": "true"}
    crds = "apiextensions.k8s.io/v1"
    applied = await call(api, "PATCH", crds, url, body=peering_crd, content_type=APPLY_PATCH, params=params)
    assert applied.status_code in (200, 201), applied.text
    await wait_crd_served(api, peering_crd)
    peer = {"priority": 1, "lifetime": 60, "lastseen": datetime.now(UTC).isoformat()}
    peering = {"apiVersion": "kopf.dev/v1", "kind": "KopfPeering", "metadata": {"name": "conectafy"},
               "status": {"conectafy-operator-e2e": peer}}
    created = await call(api, "POST", "kopf.dev/v1", "kopfpeerings", namespace=namespace, body=peering)
    assert created.status_code == 201, created.text
    await deleting_session(api, namespace, "sales", [labels.FINALIZER])
    result = await conectafy("release-finalizers", "-n", namespace)
    left = await session(api, namespace, "sales")
    expected = f"KopfPeering {namespace}/conectafy has a live peer conectafy-operator-e2e"
    assert (result.exit_code, expected in result.output, field(left, "metadata", "finalizers")) == (
        1, True, [labels.FINALIZER]
    ), result.output
