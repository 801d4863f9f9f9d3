"""`GET /api/sessions` against the real cluster in KUBECONFIG: rows are the projection of the resources.

The list reads rows that the API's watch keeps equal to the resources, so a change made to a resource —
by the API or by kubectl — shows in the list without a Kubernetes read per request. Fixtures (a fresh
namespace, the CRD, the whole app on the real cluster) are the ones of test_api_sessions.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import kr8s.asyncio
import pytest

from conectafy.session import API_VERSION, PLURAL
from tests.e2e.test_api_sessions import _create, _register, client, kube, namespace  # noqa: F401 - fixtures
from tests.support.apiserver import call, poll
from tests.support.sessions import resource_body, session_resource

pytestmark = pytest.mark.e2e


async def test_the_list_shows_a_stopped_session_as_paused(client: httpx.AsyncClient) -> None:  # noqa: F811
    _, headers = await _register(client)
    created = await _create(client, headers)
    assert (await client.post(f"/api/sessions/{created['id']}/stop", headers=headers)).status_code == 200

    async def listed_paused() -> list[tuple[str, bool | None]]:
        while True:  # the watch delivers the patched resource a moment after the patch
            listed = [
                (s["id"], s["paused"]) for s in (await client.get("/api/sessions", headers=headers)).json()
            ]
            if listed == [(created["id"], True)]:
                return listed
            await asyncio.sleep(0.1)

    assert await asyncio.wait_for(listed_paused(), 30) == [(created["id"], True)]


async def _kubectl(api: kr8s.asyncio.Api, method: str, where: str, url: str, body: Any = None) -> None:
    """What `kubectl apply` / `kubectl delete` send: plain requests to the API server, no Conectafy API."""
    answer = await call(api, method, API_VERSION, url, namespace=where, body=body)
    assert answer.status_code in (200, 201, 202), answer.text


async def _names(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:  # noqa: F811
    return [s["name"] for s in (await client.get("/api/sessions", headers=headers)).json()]


async def test_a_kubectl_created_session_appears_for_its_owner_and_leaves_on_delete(
    client: httpx.AsyncClient,  # noqa: F811
    kube: kr8s.asyncio.Api,  # noqa: F811
    namespace: str,  # noqa: F811
) -> None:
    user_id, headers = await _register(client)
    body = resource_body(session_resource("from-kubectl", owner=user_id, namespace=namespace))
    await _kubectl(kube, "POST", namespace, PLURAL, body)
    await poll(lambda: _listed_as(client, headers, ["from-kubectl"]), seconds=2.0, interval=0.05)
    await _kubectl(kube, "DELETE", namespace, f"{PLURAL}/from-kubectl")
    await poll(lambda: _listed_as(client, headers, []), seconds=30)


async def _listed_as(client: httpx.AsyncClient, headers: dict[str, str], names: list[str]) -> bool:  # noqa: F811
    return await _names(client, headers) == names
