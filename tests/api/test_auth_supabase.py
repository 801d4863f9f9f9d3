"""Supabase mode: access tokens verified locally (RSA JWKS served by a mock transport, or the HS256 secret).

No network: the JWKS endpoint and GoTrue are `httpx.MockTransport`s answering like Supabase does.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from pydantic import SecretStr

from conectafy.api.auth import AuthUser, EmailTaken, InvalidCredentials, InvalidToken
from conectafy.api.auth.supabase import SupabaseAccounts
from conectafy.api.deps import get_accounts
from conectafy.api.main import create_app
from conectafy.settings import ApiSettings

SUPABASE_URL = "http://project.supabase.test"
JWKS_PATH = "/auth/v1/.well-known/jwks.json"
PROJECT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
USER = AuthUser(uuid.UUID("8d0fd2b3-9ca7-4d9e-a95f-9e13dded323e"), "ana@example.com")


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _rsa_key()
OTHER_KEY = _rsa_key()


def _jwks(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": kid, "alg": "RS256", "use": "sig"}]}


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(USER.id),
        "email": USER.email,
        "aud": "authenticated",
        "role": "authenticated",
        "iss": f"{SUPABASE_URL}/auth/v1",
        "iat": now,
        "exp": now + 3600,
    }
    return {**claims, **overrides}


def _rs256(key: rsa.RSAPrivateKey = SIGNING_KEY, kid: str = "key-1", **overrides: Any) -> str:
    return jwt.encode(_claims(**overrides), key, algorithm="RS256", headers={"kid": kid})


class FakeSupabase:
    """Answers the JWKS and GoTrue endpoints; counts JWKS fetches (caching is part of the contract)."""

    def __init__(self) -> None:
        self.jwks = _jwks(SIGNING_KEY, "key-1")
        self.jwks_fetches = 0
        self.gotrue: dict[str, httpx.Response] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == JWKS_PATH:
            self.jwks_fetches += 1
            return httpx.Response(200, json=self.jwks)
        return self.gotrue.get(request.url.path, httpx.Response(404, json={"msg": "not found"}))


@pytest.fixture
def supabase() -> FakeSupabase:
    return FakeSupabase()


@pytest.fixture
def supabase_settings(tmp_path: Any) -> ApiSettings:
    return ApiSettings(
        database_url="postgresql://unused",
        data_dir=tmp_path,
        supabase_url=SUPABASE_URL,
        supabase_anon_key=SecretStr("anon-key"),
        supabase_service_key=SecretStr("service-key-never-shown"),
        supabase_jwt_secret=SecretStr(PROJECT_SECRET),
    )


@pytest.fixture
async def accounts(supabase: FakeSupabase, supabase_settings: ApiSettings) -> AsyncIterator[SupabaseAccounts]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(supabase)) as http:
        yield SupabaseAccounts(supabase_settings, http=http)


async def test_rs256_token_is_verified_against_the_jwks(accounts: SupabaseAccounts) -> None:
    assert await accounts.verify_access_token(_rs256()) == USER


async def test_jwks_is_fetched_once_and_cached(accounts: SupabaseAccounts, supabase: FakeSupabase) -> None:
    for _ in range(3):
        await accounts.verify_access_token(_rs256())
    assert supabase.jwks_fetches == 1


async def test_hs256_token_is_verified_with_the_project_secret(accounts: SupabaseAccounts) -> None:
    token = jwt.encode(_claims(), PROJECT_SECRET, algorithm="HS256")
    assert await accounts.verify_access_token(token) == USER


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: _rs256(key=OTHER_KEY), id="signed-by-another-key-same-kid"),
        pytest.param(lambda: _rs256(aud="anon"), id="wrong-audience"),
        pytest.param(lambda: _rs256(exp=int(time.time()) - 10), id="expired"),
        pytest.param(
            lambda: jwt.encode(_claims(), "wrong-secret-" + "z" * 40, algorithm="HS256"), id="hs256-forged"
        ),
        pytest.param(lambda: _rs256(sub="not-a-uuid"), id="bad-subject"),
    ],
)
async def test_invalid_tokens_are_rejected(accounts: SupabaseAccounts, token: Any) -> None:
    with pytest.raises(InvalidToken):
        await accounts.verify_access_token(token())


async def test_unknown_kid_refetches_the_jwks_once_after_the_grace_period(
    accounts: SupabaseAccounts, supabase: FakeSupabase
) -> None:
    await accounts.verify_access_token(_rs256())
    supabase.jwks = _jwks(OTHER_KEY, "key-2")  # the project rotated its signing key
    accounts._jwks._fetched_at -= 60  # older than the re-fetch grace period
    assert await accounts.verify_access_token(_rs256(key=OTHER_KEY, kid="key-2")) == USER
    assert supabase.jwks_fetches == 2


async def test_unknown_kid_within_grace_period_does_not_refetch(
    accounts: SupabaseAccounts, supabase: FakeSupabase
) -> None:
    await accounts.verify_access_token(_rs256())
    with pytest.raises(InvalidToken, match="unknown key"):
        await accounts.verify_access_token(_rs256(kid="nope"))
    assert supabase.jwks_fetches == 1


def _gotrue_session(user_id: uuid.UUID = USER.id) -> dict[str, Any]:
    user = {"id": str(user_id), "email": USER.email, "aud": "authenticated", "role": "authenticated"}
    user |= {"app_metadata": {}, "user_metadata": {}, "created_at": "2026-11-28T18:00:00Z"}
    return {
        "access_token": _rs256(),
        "refresh_token": "gotrue-refresh",
        "token_type": "bearer",
        "expires_in": 3600,
        "expires_at": int(time.time()) + 3600,
        "user": user,
    }


async def test_login_goes_through_gotrue_with_the_anon_key(
    accounts: SupabaseAccounts, supabase: FakeSupabase
) -> None:
    supabase.gotrue["/auth/v1/token"] = httpx.Response(200, json=_gotrue_session())
    pair = await accounts.login(email=USER.email or "", password="pw-123456789")
    sent = supabase.requests[-1]
    assert (pair.user, pair.refresh_token, pair.expires_in) == (USER, "gotrue-refresh", 3600)
    assert (sent.url.params["grant_type"], sent.headers["apikey"]) == ("password", "anon-key")
    assert "service-key-never-shown" not in str(sent.headers)


async def test_wrong_password_at_gotrue_is_invalid_credentials(
    accounts: SupabaseAccounts, supabase: FakeSupabase
) -> None:
    supabase.gotrue["/auth/v1/token"] = httpx.Response(
        400, json={"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"}
    )
    with pytest.raises(InvalidCredentials):
        await accounts.login(email="ana@example.com", password="wrong")


async def test_existing_email_at_gotrue_is_email_taken(
    accounts: SupabaseAccounts, supabase: FakeSupabase
) -> None:
    supabase.gotrue["/auth/v1/signup"] = httpx.Response(
        422, json={"code": 422, "error_code": "user_already_exists", "msg": "User already registered"}
    )
    with pytest.raises(EmailTaken):
        await accounts.register(email="ana@example.com", password="pw-123456789")


async def test_me_accepts_a_supabase_token_through_the_app(
    supabase_settings: ApiSettings, accounts: SupabaseAccounts
) -> None:
    app = create_app(supabase_settings, background=[])
    app.dependency_overrides[get_accounts] = lambda: accounts
    async with _client(app) as http:
        response = await http.get("/api/auth/me", headers={"Authorization": f"Bearer {_rs256()}"})
    assert (response.status_code, response.json()) == (200, {"id": str(USER.id), "email": USER.email})


async def test_config_tells_the_web_app_supabase_mode_without_the_service_key(
    supabase_settings: ApiSettings,
) -> None:
    async with _client(create_app(supabase_settings, background=[])) as http:
        response = await http.get("/api/auth/config")
    assert response.json() == {
        "mode": "supabase",
        "supabase_url": SUPABASE_URL,
        "supabase_anon_key": "anon-key",
        "password_min_length": 8,
    }
    assert "service-key-never-shown" not in response.text


def _client(app: FastAPI) -> httpx.AsyncClient:
    """No lifespan: these routes need neither the database nor background tasks."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
