# ruff: noqa: F811 - the fixtures imported below are redefined as test parameters, as pytest wants
"""Webhook ingestion against the real cluster in KUBECONFIG: the HMAC key comes from the session's real
Secret, and a `session.status` delivery nudges the real WhatsAppSession resource.

No operator runs here, so the test writes the session's Secret the way the operator names and labels it
(the API follows only Secrets with the operator's labels).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import kr8s.asyncio
import pytest

from conectafy import labels
from conectafy.operator.identity import MANAGED_BY, child_names
from conectafy.operator.manifests import WEBHOOK_HMAC_KEY
from tests.api.conftest import db_pool, pg_dsn, pg_server_dsn, pg_template  # noqa: F401 - fixtures
from tests.api.dataplane import deliver, envelope_bytes, sample_body
from tests.e2e.test_api_sessions import _create, _register, _resource, client, kube, namespace  # noqa: F401

pytestmark = pytest.mark.e2e

KEY = "e2e-webhook-hmac-key"


async def _write_session_secret(
    kube: kr8s.asyncio.Api, namespace: str, session_name: str, **more: str
) -> None:
    """The session's Secret as the operator writes it: the webhook HMAC key (+ `more` keys, e.g. the
    WAHA API key)."""
    data = {WEBHOOK_HMAC_KEY: KEY, **more}
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": child_names(session_name).secret,
            "labels": {labels.APP_MANAGED_BY: MANAGED_BY, labels.SESSION: session_name},
        },
        "data": {name: base64.b64encode(value.encode()).decode() for name, value in data.items()},
    }
    async with kube.call_api(
        "POST", version="v1", namespace=namespace, url="secrets", content=json.dumps(body)
    ):
        pass


async def _session_with_secret(
    client: httpx.AsyncClient, kube: kr8s.asyncio.Api, namespace: str
) -> tuple[dict[str, Any], dict[str, str]]:
    _, headers = await _register(client)
    created = await _create(client, headers)
    await _write_session_secret(kube, namespace, created["name"])
    return created, headers


async def _deliver_when_known(
    client: httpx.AsyncClient, where: str, session_name: str, body: bytes
) -> httpx.Response:
    """The directory learns the Secret from its watch or one read; poll until it is no longer 404."""

    async def attempt() -> httpx.Response:
        while True:
            answer = await deliver(client, session_name, body, key=KEY, namespace=where)
            if answer.status_code != 404:
                return answer
            await asyncio.sleep(0.5)

    return await asyncio.wait_for(attempt(), 30)


async def test_a_message_signed_with_the_secrets_key_is_stored(
    client: httpx.AsyncClient, kube: kr8s.asyncio.Api, namespace: str
) -> None:
    created, headers = await _session_with_secret(client, kube, namespace)
    answer = await _deliver_when_known(
        client, namespace, created["name"], sample_body("webhook-2026-message-text.json")
    )
    assert (answer.status_code, answer.json()) == (200, {"outcome": "stored", "event": "message"})
    page = await client.get(f"/api/sessions/{created['id']}/chats/15550002222@c.us/messages", headers=headers)
    assert [m["body"] for m in page.json()["items"]] == ["Hi, I need help with my order"]


async def test_a_forged_delivery_is_401_with_the_real_key_in_place(
    client: httpx.AsyncClient, kube: kr8s.asyncio.Api, namespace: str
) -> None:
    created, _ = await _session_with_secret(client, kube, namespace)
    await _deliver_when_known(
        client, namespace, created["name"], sample_body("webhook-2026-presence.update-typing.json")
    )
    forged = await deliver(
        client,
        created["name"],
        sample_body("webhook-2026-message-text.json"),
        key="guess",
        namespace=namespace,
    )
    assert forged.status_code == 401


async def test_session_status_nudges_the_resource(
    client: httpx.AsyncClient, kube: kr8s.asyncio.Api, namespace: str
) -> None:
    created, _ = await _session_with_secret(client, kube, namespace)
    envelope = json.loads(sample_body("webhook-2026-session.status-WORKING.json"))
    answer = await _deliver_when_known(client, namespace, created["name"], envelope_bytes(envelope))
    assert answer.json() == {"outcome": "stored", "event": "session.status"}
    annotations = (await _resource(kube, namespace, created["name"]))["metadata"]["annotations"]
    assert annotations[labels.WAHA_STATUS_HINT] == "WORKING"


async def test_a_text_with_nul_is_stored_sanitised_and_a_huge_id_is_422(
    client: httpx.AsyncClient, kube: kr8s.asyncio.Api, namespace: str
) -> None:
    """Issue 11 with the real Secret's key: a contact's NUL is not a reason to lose the message; a
    10,000-character message id is refused naming the field."""
    created, headers = await _session_with_secret(client, kube, namespace)
    envelope = json.loads(sample_body("webhook-2026-message-text.json"))
    envelope["payload"]["body"] = "Hi\x00 there"
    answer = await _deliver_when_known(client, namespace, created["name"], envelope_bytes(envelope))
    assert (answer.status_code, answer.json()) == (200, {"outcome": "stored", "event": "message"})
    page = await client.get(f"/api/sessions/{created['id']}/chats/15550002222@c.us/messages", headers=headers)
    assert [m["body"] for m in page.json()["items"]] == ["Hi there"]
    envelope["id"], envelope["payload"]["id"] = "evt_huge_id", "x" * 10_000
    huge = await deliver(client, created["name"], envelope_bytes(envelope), key=KEY, namespace=namespace)
    assert (huge.status_code, [e["loc"] for e in huge.json()["detail"]]) == (422, [["payload", "id"]])
