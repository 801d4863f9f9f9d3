"""Built-in accounts end to end through /api/auth on real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import httpx
import jwt
import pytest
from fastapi import FastAPI

from conectafy.api.auth import AuthUser
from conectafy.api.auth.tokens import issue_access_token
from conectafy.api.ratelimit import TokenBucketLimiter
from conectafy.settings import ApiSettings

from .conftest import TEST_PASSWORD, UserFactory

EMAIL = "ana@example.com"


async def _register(
    client: httpx.AsyncClient, email: str = EMAIL, password: str = TEST_PASSWORD
) -> httpx.Response:
    return await client.post("/api/auth/register", json={"email": email, "password": password})


async def _login(
    client: httpx.AsyncClient, email: str = EMAIL, password: str = TEST_PASSWORD
) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _secret(settings: ApiSettings) -> str:
    assert settings.jwt_secret is not None
    return settings.jwt_secret.get_secret_value()


async def test_register_returns_tokens_for_the_new_user(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool
) -> None:
    response = await _register(client)
    body = response.json()
    user_id = await db_pool.fetchval("SELECT id FROM users WHERE email = $1", EMAIL)
    assert response.status_code == 201
    assert body == {
        "user": {"id": str(user_id), "email": EMAIL},
        "access_token": body["access_token"],
        "refresh_token": body["refresh_token"],
        "token_type": "bearer",
        "expires_in": 900,
        "confirmation_required": False,
    }


async def test_password_is_stored_as_argon2id_hash(client: httpx.AsyncClient, db_pool: asyncpg.Pool) -> None:
    await _register(client)
    stored = await db_pool.fetchval("SELECT password_hash FROM users")
    assert stored.startswith("$argon2id$") and TEST_PASSWORD not in stored


async def test_refresh_tokens_are_stored_hashed(client: httpx.AsyncClient, db_pool: asyncpg.Pool) -> None:
    refresh_token = (await _register(client)).json()["refresh_token"]
    stored = await db_pool.fetchval("SELECT token_hash FROM refresh_tokens")
    assert stored != refresh_token and len(stored) == 64


async def test_me_returns_the_caller(client: httpx.AsyncClient, user_factory: UserFactory) -> None:
    user_id, headers = await user_factory(email="me@example.com")
    response = await client.get("/api/auth/me", headers=headers)
    assert (response.status_code, response.json()) == (200, {"id": str(user_id), "email": "me@example.com"})


async def test_duplicate_email_is_409_case_insensitively(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool
) -> None:
    await _register(client)
    response = await _register(client, email="ANA@example.com")
    assert (response.status_code, response.json()) == (
        409,
        {"error": "conflict", "detail": "an account with this email already exists"},
    )
    assert await db_pool.fetchval("SELECT count(*) FROM users") == 1


async def test_short_password_is_422_and_creates_nothing(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool
) -> None:
    response = await _register(client, password="short")
    assert (response.status_code, response.json()) == (
        422,
        {"error": "validation_error", "detail": "password must have at least 8 characters"},
    )
    assert await db_pool.fetchval("SELECT count(*) FROM users") == 0


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "ana@example.com\n", ""])
async def test_invalid_email_is_422(client: httpx.AsyncClient, email: str) -> None:
    response = await _register(client, email=email)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "email"]]


async def test_login_returns_fresh_tokens(client: httpx.AsyncClient) -> None:
    user_id = (await _register(client)).json()["user"]["id"]
    response = await _login(client, email="Ana@Example.com")
    body = response.json()
    assert response.status_code == 200
    assert body["user"] == {"id": user_id, "email": EMAIL}
    me = await client.get("/api/auth/me", headers=_bearer(body["access_token"]))
    assert me.json() == {"id": user_id, "email": EMAIL}


@pytest.mark.parametrize(
    ("email", "password"), [(EMAIL, "wrong password!"), ("nobody@example.com", TEST_PASSWORD)]
)
async def test_bad_credentials_are_401_with_one_message(
    client: httpx.AsyncClient, email: str, password: str
) -> None:
    await _register(client)
    response = await _login(client, email=email, password=password)
    assert (response.status_code, response.json()) == (
        401,
        {"error": "unauthorized", "detail": "wrong email or password"},
    )


async def test_login_is_rate_limited_per_ip_and_email(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.login_limiter = TokenBucketLimiter(capacity=5, window=60, clock=lambda: 1000.0)
    await _register(client)
    statuses = [(await _login(client, password="wrong password!")).status_code for _ in range(5)]
    limited = await _login(client)
    other_email = await _login(client, email="other@example.com")
    assert statuses == [401] * 5
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "12")
    assert limited.json() == {
        "error": "too_many_requests",
        "detail": "too many login attempts; try again later",
    }
    assert other_email.status_code == 401


async def test_refresh_rotates_the_refresh_token(client: httpx.AsyncClient) -> None:
    first = (await _register(client)).json()
    response = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    second = response.json()
    assert response.status_code == 200
    assert second["user"] == first["user"]
    assert second["refresh_token"] != first["refresh_token"]
    me = await client.get("/api/auth/me", headers=_bearer(second["access_token"]))
    assert me.status_code == 200


async def test_reused_refresh_token_revokes_its_whole_family(client: httpx.AsyncClient) -> None:
    stolen = (await _register(client)).json()["refresh_token"]
    successor = (await client.post("/api/auth/refresh", json={"refresh_token": stolen})).json()[
        "refresh_token"
    ]
    replay = await client.post("/api/auth/refresh", json={"refresh_token": stolen})
    after = await client.post("/api/auth/refresh", json={"refresh_token": successor})
    assert (replay.status_code, replay.json()["detail"]) == (
        401,
        "refresh token was already used; please sign in again",
    )
    assert after.status_code == 401


async def test_expired_refresh_token_is_401(client: httpx.AsyncClient, db_pool: asyncpg.Pool) -> None:
    refresh_token = (await _register(client)).json()["refresh_token"]
    await db_pool.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
    response = await client.post("/api/auth/refresh", json={"refresh_token": refresh_token})
    assert (response.status_code, response.json()["detail"]) == (401, "refresh token is unknown or expired")


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/refresh", json={"refresh_token": "never-issued"})
    assert response.status_code == 401


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient) -> None:
    tokens = (await _register(client)).json()
    logout = await client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert (logout.status_code, logout.content) == (204, b"")
    assert refresh.status_code == 401


async def test_logout_twice_is_harmless(client: httpx.AsyncClient) -> None:
    tokens = (await _register(client)).json()
    answers = [
        (await client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})).status_code
        for _ in range(2)
    ]
    assert answers == [204, 204]


async def test_missing_token_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/me")
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")
    assert response.json() == {"error": "unauthorized", "detail": "missing bearer token"}


async def test_expired_access_token_is_401(client: httpx.AsyncClient, api_settings: ApiSettings) -> None:
    user = AuthUser(uuid.uuid4(), EMAIL)
    token = issue_access_token(
        user,
        secret=_secret(api_settings),
        ttl=timedelta(seconds=-1),
        issuer="conectafy",
        audience="authenticated",
    )
    response = await client.get("/api/auth/me", headers=_bearer(token))
    assert (response.status_code, response.json()["detail"]) == (
        401,
        "invalid access token: Signature has expired",
    )


def _forged_tokens(settings: ApiSettings) -> dict[str, str]:
    now_claims = {"sub": str(uuid.uuid4()), "aud": "authenticated", "iss": "conectafy", "exp": 4102444800}
    return {
        "other secret": jwt.encode(now_claims, "another-secret-" + "y" * 40, algorithm="HS256"),
        "alg none": jwt.encode(now_claims, None, algorithm="none"),
        "wrong audience": jwt.encode({**now_claims, "aud": "anon"}, _secret(settings), algorithm="HS256"),
        "wrong issuer": jwt.encode({**now_claims, "iss": "evil"}, _secret(settings), algorithm="HS256"),
        "no subject": jwt.encode(
            {k: v for k, v in now_claims.items() if k != "sub"}, _secret(settings), algorithm="HS256"
        ),
        "not a jwt": "garbage",
    }


@pytest.mark.parametrize(
    "kind", ["other secret", "alg none", "wrong audience", "wrong issuer", "no subject", "not a jwt"]
)
async def test_forged_access_token_is_401(
    client: httpx.AsyncClient, api_settings: ApiSettings, kind: str
) -> None:
    response = await client.get("/api/auth/me", headers=_bearer(_forged_tokens(api_settings)[kind]))
    assert response.status_code == 401
    assert response.json()["detail"].startswith("invalid access token")


async def test_auth_config_reports_builtin_mode(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/config")
    assert response.json() == {
        "mode": "builtin",
        "supabase_url": None,
        "supabase_anon_key": None,
        "password_min_length": 8,
    }


async def test_argon2_cost_comes_from_settings(client: httpx.AsyncClient, db_pool: asyncpg.Pool) -> None:
    await _register(client)
    stored = await db_pool.fetchval("SELECT password_hash FROM users")
    assert stored.split("$")[3] == "m=1024,t=1,p=4"


async def test_logout_without_a_body_is_204(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/logout")
    assert (response.status_code, response.content) == (204, b"")
