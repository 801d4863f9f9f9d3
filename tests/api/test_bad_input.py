"""Bad input gets a clear 4xx JSON answer, never a 500, and writes nothing."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Request

from conectafy.api.errors import install_error_handlers
from conectafy.api.middleware import BodySizeLimit
from conectafy.api.store.sessions import SessionRow
from tests.api.dataplane import deliver, envelope_bytes, sample_body

from .conftest import TEST_PASSWORD, UserCredentials

REGISTER = "/api/auth/register"


async def _user_count(pool: asyncpg.Pool) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM users")
    return count


@pytest.mark.parametrize("body", [b"{", b'{"email": "a@example.com",}', b"\xff\xfe", b"nul\x00"])
async def test_malformed_json_is_400(client: httpx.AsyncClient, db_pool: asyncpg.Pool, body: bytes) -> None:
    response = await client.post(REGISTER, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"
    assert await _user_count(db_pool) == 0


@pytest.mark.parametrize(
    "body",
    [[], "a string", 42, None, {"email": "a@example.com"}, {"email": 5, "password": TEST_PASSWORD}],
)
async def test_wrong_json_shape_is_422(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, body: object
) -> None:
    response = await client.post(REGISTER, json=body)
    assert (response.status_code, response.json()["error"]) == (422, "validation_error")
    assert await _user_count(db_pool) == 0


async def test_unknown_field_is_422(client: httpx.AsyncClient) -> None:
    body = {"email": "a@example.com", "password": TEST_PASSWORD, "is_admin": True}
    response = await client.post(REGISTER, json=body)
    assert response.json() == {
        "error": "validation_error",
        "detail": [
            {"loc": ["body", "is_admin"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
        ],
    }


async def test_validation_errors_never_echo_the_password(client: httpx.AsyncClient) -> None:
    secret = "my-secret-password-" * 100
    response = await client.post(REGISTER, json={"email": "a@example.com", "password": secret})
    assert response.status_code == 422
    assert "my-secret-password" not in response.text


async def test_oversized_body_is_413(client: httpx.AsyncClient, db_pool: asyncpg.Pool) -> None:
    padding = "x" * (4 * 1024 * 1024)
    response = await client.post(REGISTER, json={"email": "a@example.com", "password": padding})
    assert (response.status_code, response.json()) == (
        413,
        {"error": "payload_too_large", "detail": "request body exceeds 4194304 bytes"},
    )
    assert await _user_count(db_pool) == 0


async def test_oversized_streamed_body_without_length_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(5):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = await client.post(REGISTER, content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize("email", ["' OR 1=1 --@example.com", "a@example.com'; DROP TABLE users; --"])
async def test_sql_looking_email_is_422(client: httpx.AsyncClient, db_pool: asyncpg.Pool, email: str) -> None:
    response = await client.post(REGISTER, json={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 422
    assert await _user_count(db_pool) == 0


async def test_sql_looking_password_is_just_a_password(client: httpx.AsyncClient) -> None:
    password = "'; DROP TABLE users; --"
    await client.post(REGISTER, json={"email": "a@example.com", "password": password})
    login = await client.post("/api/auth/login", json={"email": "a@example.com", "password": password})
    wrong = await client.post("/api/auth/login", json={"email": "a@example.com", "password": "' OR '1'='1"})
    assert (login.status_code, wrong.status_code) == (200, 401)


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/no-such-thing")
    assert (response.status_code, response.json()) == (404, {"error": "not_found", "detail": "Not Found"})


async def test_wrong_method_is_json_405(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/auth/login")
    assert (response.status_code, response.json()) == (
        405,
        {"error": "method_not_allowed", "detail": "Method Not Allowed"},
    )


@pytest.mark.parametrize("header", ["Bearer", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer " + "x" * 5000])
async def test_malformed_authorization_is_401(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/auth/me", headers={"Authorization": header})
    assert response.status_code == 401


async def test_oversized_body_to_a_raw_body_route_is_413() -> None:
    """A route that reads the raw body (like webhooks) sees a disconnect; the client still gets the 413."""
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    app.add_middleware(BodySizeLimit, max_bytes=1024)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"x" * 512

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/raw", content=chunks())
        small = await http.post("/raw", content=b"x" * 1024)
    assert (response.status_code, small.json()) == (413, {"size": 1024})


# --- issue 11: crafted values PostgreSQL would refuse are a 422 naming the field, never a 500 ----------

NUL = "a\x00b"
TEXT = "webhook-2026-message-text.json"


def _locs(response: httpx.Response) -> list[list[Any]]:
    """The fields a 422 names (and nothing else: the status and error code are checked too)."""
    assert (response.status_code, response.json()["error"]) == (422, "validation_error"), response.text
    return [error["loc"] for error in response.json()["detail"]]


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


async def test_nul_in_a_session_display_name_is_422(
    client: httpx.AsyncClient, owner: UserCredentials
) -> None:
    body = {"name": "support", "display_name": NUL}
    response = await client.post("/api/sessions", json=body, headers=owner[1])
    assert _locs(response) == [["body", "display_name"]]


async def test_nul_in_a_sent_text_is_422(
    client: httpx.AsyncClient, session: SessionRow, owner: UserCredentials
) -> None:
    url = f"/api/sessions/{session.id}/chats/15550003333@c.us/messages"
    response = await client.post(url, json={"text": NUL}, headers=owner[1])
    assert _locs(response) == [["body", "text"]]


async def test_nul_in_a_contacts_search_is_422(
    client: httpx.AsyncClient, session: SessionRow, owner: UserCredentials
) -> None:
    response = await client.get(f"/api/sessions/{session.id}/contacts?search=a%00b", headers=owner[1])
    assert _locs(response) == [["query", "search"]]


async def test_nul_in_an_uploaded_file_name_is_422(
    client: httpx.AsyncClient, session: SessionRow, owner: UserCredentials
) -> None:
    """Written by hand: httpx would percent-encode the NUL, a hostile client sends the raw byte."""
    url = f"/api/sessions/{session.id}/chats/15550003333@c.us/media"
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="photo\x00.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--b--\r\n"
    )
    headers = {**owner[1], "Content-Type": "multipart/form-data; boundary=b"}
    assert _locs(await client.post(url, content=body, headers=headers)) == [["body", "file"]]


async def test_nul_in_a_password_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json={"email": "a@example.com", "password": NUL * 8})
    assert _locs(response) == [["body", "password"]]


OUT_OF_RANGE_IDS = [2**63, 10**30, 1e400, -1, 0.5]


@pytest.mark.parametrize("ident", OUT_OF_RANGE_IDS, ids=str)
async def test_contacts_cursor_with_an_out_of_range_id_is_422(
    client: httpx.AsyncClient, session: SessionRow, owner: UserCredentials, ident: Any
) -> None:
    cursor = _cursor(["2026-11-01T12:00:00+00:00", ident, False])
    response = await client.get(
        f"/api/sessions/{session.id}/contacts", params={"cursor": cursor}, headers=owner[1]
    )
    assert _locs(response) == [["query", "cursor"]]


@pytest.mark.parametrize(
    "values",
    [
        ["2026-11-01T12:00:00+00:00", 2**63],
        ["2026-11-01T12:00:00+00:00", 1e400],
        ["0001-01-01T00:00:00+14:00", 1],
    ],
    ids=["past-int64", "1e400", "before-year-1-in-utc"],
)
async def test_messages_cursor_out_of_range_is_422(
    client: httpx.AsyncClient, session: SessionRow, owner: UserCredentials, values: list[Any]
) -> None:
    url = f"/api/sessions/{session.id}/chats/15550003333@c.us/messages"
    response = await client.get(url, params={"before": _cursor(values)}, headers=owner[1])
    assert _locs(response) == [["query", "before"]]


async def test_media_of_a_message_id_past_bigint_is_422(
    client: httpx.AsyncClient, session: SessionRow, owner: UserCredentials
) -> None:
    response = await client.get(f"/api/sessions/{session.id}/messages/{2**63}/media", headers=owner[1])
    assert _locs(response) == [["path", "message_id"]]


def _delivery(**payload: Any) -> bytes:
    envelope = json.loads(sample_body(TEXT))
    envelope["payload"].update(payload)
    return envelope_bytes(envelope)


@pytest.mark.parametrize(
    "timestamp",
    [int(time.time()) + 400 * 24 * 3600, 10**12, 2**63, -1],
    ids=["next-year", "ms-as-seconds", "past-int64", "negative"],
)
async def test_webhook_message_time_far_in_the_future_is_422(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, session: SessionRow, timestamp: int
) -> None:
    response = await deliver(client, session.session_name, _delivery(timestamp=timestamp))
    assert _locs(response) == [["payload", "timestamp"]]
    assert await db_pool.fetchval("SELECT count(*) FROM messages") == 0


async def test_webhook_envelope_time_far_in_the_future_is_422(
    client: httpx.AsyncClient, session: SessionRow
) -> None:
    envelope = json.loads(sample_body(TEXT)) | {"timestamp": (int(time.time()) + 400 * 24 * 3600) * 1000}
    response = await deliver(client, session.session_name, envelope_bytes(envelope))
    assert _locs(response) == [["timestamp"]]


async def test_webhook_message_id_of_10000_characters_is_422(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, session: SessionRow
) -> None:
    response = await deliver(client, session.session_name, _delivery(id="x" * 10_000))
    assert _locs(response) == [["payload", "id"]]
    assert await db_pool.fetchval("SELECT count(*) FROM messages") == 0


@pytest.mark.parametrize("field", ["id", "from", "to", "participant"])
async def test_webhook_identifier_with_a_nul_is_422(
    client: httpx.AsyncClient, session: SessionRow, field: str
) -> None:
    response = await deliver(client, session.session_name, _delivery(**{field: NUL}))
    assert _locs(response) == [["payload", field]]
