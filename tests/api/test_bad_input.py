"""Bad input gets a clear 4xx JSON answer, never a 500, and writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Request

from conectafy.api.errors import install_error_handlers
from conectafy.api.middleware import BodySizeLimit

from .conftest import TEST_PASSWORD

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
