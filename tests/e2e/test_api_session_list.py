"""`GET /api/sessions` against the real cluster in KUBECONFIG: live fields come from the API's watch.

The list reads rows and overlays each resource as the API's watch of the namespace last saw it, so a
change made to the resource shows in the list without a Kubernetes read per request. Fixtures (a fresh
namespace, the CRD, the whole app on the real cluster) are the ones of test_api_sessions.py.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.e2e.test_api_sessions import _create, _register, client, kube, namespace  # noqa: F401 - fixtures

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
