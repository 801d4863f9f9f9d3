"""Factories for the data-plane tests: sessions rows, re-signed captured deliveries, a directory double."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from conectafy.api.services.session_mirror import SessionMirror
from conectafy.api.store.sessions import SessionRow
from conectafy.simulator import runner
from conectafy.waha.client import WahaClient
from conectafy.waha.signing import HMAC_ALGORITHM_HEADER, HMAC_HEADER, sign_body
from tests.conftest import load_waha_sample
from tests.support.sessions import NAMESPACE, connected_status, session_resource

WEBHOOK_KEY = "test-webhook-hmac-key"


@dataclass
class MemoryDirectory:
    """The session directory's interface (webhook_key, nudge, waha_client) over plain dicts: the webhook
    tests need no Kubernetes, and every nudge is recorded for assertions."""

    namespace: str = NAMESPACE
    keys: dict[str, str] = field(default_factory=dict)
    waha: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    nudges: list[tuple[str, str]] = field(default_factory=list)

    async def webhook_key(self, session_name: str) -> str | None:
        return self.keys.get(session_name)

    async def nudge(self, session_name: str, waha_status: str) -> bool:
        self.nudges.append((session_name, waha_status))
        return True

    async def waha_client(self, session_name: str) -> WahaClient:
        url, api_key = self.waha[session_name]
        return WahaClient(url, api_key=api_key, timeout=5.0)


async def make_session(
    pool: asyncpg.Pool, directory: MemoryDirectory, *, user_id: uuid.UUID, name: str | None = None
) -> SessionRow:
    """A connected session of `user_id` whose webhooks are signed with WEBHOOK_KEY: its resource, as
    the operator's status makes it, projected into its row the one way rows are written.

    The projection announces the new session (a `session` event, tested in test_session_mirror); the
    data-plane tests start from an empty event log, so that announcement is cleared here."""
    name = name or f"wa-{uuid.uuid4().hex[:8]}"
    directory.keys[name] = WEBHOOK_KEY
    resource = session_resource(name, owner=user_id, status=connected_status(), uid=str(uuid.uuid4()))
    # check_users=False: some owners are bare ids, as in Supabase mode (no users row here)
    row = await SessionMirror(pool, namespace=NAMESPACE, check_users=False).apply("ADDED", resource)
    assert row is not None
    await pool.execute("DELETE FROM events WHERE type = 'session' AND data->>'session_id' = $1", str(row.id))
    return row


async def make_user_id(pool: asyncpg.Pool) -> uuid.UUID:
    """A users row straight in SQL, for tests that need an owner but no login."""
    user_id: uuid.UUID = await pool.fetchval(
        "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"owner-{uuid.uuid4().hex[:10]}@example.com",
    )
    return user_id


def sample_body(name: str) -> bytes:
    """The exact bytes WAHA sent in a captured delivery (tests/fixtures/waha/samples)."""
    raw: str = load_waha_sample(name)["body_raw"]
    return raw.encode()


def envelope_bytes(envelope: dict[str, Any]) -> bytes:
    """An envelope serialised the way WAHA does (compact JSON)."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(body: bytes, key: str = WEBHOOK_KEY) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        HMAC_HEADER: sign_body(body, key),
        HMAC_ALGORITHM_HEADER: "sha512",
    }


async def deliver(
    client: httpx.AsyncClient,
    session_name: str,
    body: bytes,
    key: str = WEBHOOK_KEY,
    namespace: str = NAMESPACE,
) -> httpx.Response:
    return await client.post(
        f"/webhooks/waha/{namespace}/{session_name}", content=body, headers=signed_headers(body, key)
    )


def retimed(name: str, *, event_id: str, message_id: str | None = None, **payload: Any) -> bytes:
    """A captured delivery with a new envelope id (and optionally a new message id / payload fields)."""
    envelope = json.loads(sample_body(name))
    envelope["id"] = event_id
    if message_id is not None:
        envelope["payload"]["id"] = message_id
    envelope["payload"].update(payload)
    return envelope_bytes(envelope)


def serve(app: FastAPI) -> contextlib.AbstractAsyncContextManager[str]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port (SSE needs a real streaming server)."""
    return runner.serve(app, graceful_shutdown=2)


@dataclass
class SseEvent:
    event: str
    data: Any
    id: str | None


async def next_event(lines: AsyncIterator[str], *, within: float = 10.0) -> SseEvent:
    """The next SSE frame that is an event (heartbeat comments skipped), or TimeoutError."""
    fields: dict[str, str] = {}
    async with asyncio.timeout(within):
        async for line in lines:
            if line == "":
                if "data" in fields:
                    return SseEvent(
                        fields.get("event", "message"), json.loads(fields["data"]), fields.get("id")
                    )
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
    raise AssertionError("the event stream ended")
