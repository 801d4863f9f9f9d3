"""The emulated API server's watch: from a listed resourceVersion it sends only what changed since, as
a real server's watch cache does (kmock alone replays every object on every re-opened watch)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from conectafy.demo.apiserver import ApiServerEmulator, declare_resources

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)
SECRETS_URL = "/api/v1/namespaces/tenant-a/secrets"


def secret(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "tenant-a"}}


async def first_watch_event(http: httpx.AsyncClient, since: str | None) -> dict[str, Any]:
    params = {"watch": "true", **({"resourceVersion": since} if since else {})}
    async with http.stream("GET", SECRETS_URL, params=params) as response:
        async for line in response.aiter_lines():
            if line.strip():
                event: dict[str, Any] = json.loads(line)
                return event
    raise AssertionError("the watch ended without an event")


@pytest.fixture
async def http(kmock: ApiServerEmulator) -> Any:
    declare_resources(kmock)
    async with httpx.AsyncClient(base_url=str(kmock.url), timeout=5) as client:
        yield client


async def test_a_watch_from_the_listed_version_skips_unchanged_objects(http: httpx.AsyncClient) -> None:
    await http.post(SECRETS_URL, json=secret("before"))
    listed = (await http.get(SECRETS_URL)).json()["metadata"]["resourceVersion"]
    watching = asyncio.create_task(first_watch_event(http, since=listed))
    await asyncio.sleep(0.2)
    await http.post(SECRETS_URL, json=secret("after"))
    event = await asyncio.wait_for(watching, timeout=5)
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "after")


async def test_a_change_between_the_list_and_the_watch_is_sent(http: httpx.AsyncClient) -> None:
    await http.post(SECRETS_URL, json=secret("before"))
    listed = (await http.get(SECRETS_URL)).json()["metadata"]["resourceVersion"]
    await http.post(SECRETS_URL, json=secret("between"))
    event = await asyncio.wait_for(first_watch_event(http, since=listed), timeout=5)
    assert event["object"]["metadata"]["name"] == "between"


async def test_a_watch_without_a_version_starts_with_every_object(http: httpx.AsyncClient) -> None:
    await http.post(SECRETS_URL, json=secret("before"))
    event = await asyncio.wait_for(first_watch_event(http, since=None), timeout=5)
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "before")
