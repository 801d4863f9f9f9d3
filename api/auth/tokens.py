"""Access-token signing and local verification (PyJWT): HS256 secrets and cached asymmetric JWKS."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from conectafy.api.auth.base import AuthUser, InvalidToken

_ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "EdDSA"]


def issue_access_token(user: AuthUser, *, secret: str, ttl: timedelta, issuer: str, audience: str) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user.id),
        "email": user.email,
        "iss": issuer,
        "aud": audience,
        "role": audience,
        "iat": now,
        "exp": now + ttl,
    }
    token: str = jwt.encode(claims, secret, algorithm="HS256")
    return token


def _user_from_claims(claims: dict[str, Any]) -> AuthUser:
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except (KeyError, ValueError) as error:
        raise InvalidToken("token has no valid subject") from error
    email = claims.get("email")
    return AuthUser(id=user_id, email=email if isinstance(email, str) else None)


class HS256Verifier:
    """Verifies tokens signed with a shared secret (built-in mode, or a Supabase project's JWT secret)."""

    def __init__(self, secret: str, *, audience: str, issuer: str | None = None) -> None:
        self._secret = secret
        self._audience = audience
        self._issuer = issuer

    async def verify(self, token: str) -> AuthUser:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(f"invalid access token: {error}") from error
        return _user_from_claims(claims)


class JwksVerifier:
    """Verifies asymmetric tokens against a JWKS fetched over HTTP and cached for `ttl` seconds.

    An unknown `kid` triggers one early re-fetch (key rotation), at most once per `min_refetch` seconds so a
    flood of forged tokens cannot turn into a flood of JWKS requests.
    """

    def __init__(
        self, url: str, *, client: httpx.AsyncClient, audience: str, ttl: float = 600, min_refetch: float = 30
    ) -> None:
        self._url = url
        self._client = client
        self._audience = audience
        self._ttl = ttl
        self._min_refetch = min_refetch
        self._keys: jwt.PyJWKSet | None = None
        self._fetched_at = float("-inf")

    async def _fetch(self) -> None:
        response = await self._client.get(self._url)
        response.raise_for_status()
        self._keys = jwt.PyJWKSet.from_dict(response.json())
        self._fetched_at = time.monotonic()

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        keys = self._keys.keys if self._keys is not None else []
        return next((k for k in keys if kid is None or k.key_id == kid), None)

    async def _key_for(self, kid: str | None) -> jwt.PyJWK:
        fresh = False
        if self._keys is None or time.monotonic() - self._fetched_at >= self._ttl:
            await self._fetch()
            fresh = True
        found = self._find(kid)
        if found is None and not fresh and time.monotonic() - self._fetched_at >= self._min_refetch:
            await self._fetch()
            found = self._find(kid)
        if found is None:
            raise InvalidToken("token signed by an unknown key")
        return found

    async def verify(self, token: str) -> AuthUser:
        try:
            header = jwt.get_unverified_header(token)
            key = await self._key_for(header.get("kid"))
            claims = jwt.decode(
                token,
                key,
                algorithms=_ASYMMETRIC,
                audience=self._audience,
                options={"require": ["exp", "sub"]},
            )
        except (jwt.PyJWTError, httpx.HTTPError, ValueError) as error:
            raise InvalidToken(f"invalid access token: {error}") from error
        return _user_from_claims(claims)
