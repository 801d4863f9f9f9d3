"""Supabase mode: Supabase Auth (GoTrue) owns the users; we verify its access tokens locally.

Sign-up, sign-in, refresh and sign-out go through the `supabase_auth` client with the project's anon key
(the service key is never used for, nor sent to, a browser). Access tokens are verified without a network
call per request: HS256 tokens with the project's JWT secret, asymmetric ones against the cached JWKS.
"""

from __future__ import annotations

import uuid

import httpx
import jwt
from supabase_auth import AsyncGoTrueClient, AsyncMemoryStorage
from supabase_auth.errors import AuthApiError, AuthError, AuthWeakPasswordError
from supabase_auth.types import AuthResponse

from conectafy.api.auth.base import (
    AuthUser,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    RegistrationRejected,
    TokenPair,
)
from conectafy.api.auth.tokens import HS256Verifier, JwksVerifier
from conectafy.settings import ApiSettings

AUDIENCE = "authenticated"


def _pair(response: AuthResponse) -> TokenPair:
    if response.user is None:
        raise InvalidCredentials("Supabase returned no user")
    user = AuthUser(id=uuid.UUID(str(response.user.id)), email=response.user.email)
    session = response.session
    if session is None:
        return TokenPair(user, None, None, None)
    return TokenPair(user, session.access_token, session.refresh_token, session.expires_in)


class SupabaseAccounts:
    mode = "supabase"

    def __init__(self, settings: ApiSettings, *, http: httpx.AsyncClient) -> None:
        if not settings.supabase_url or settings.supabase_anon_key is None:
            raise ValueError("Supabase mode needs SUPABASE_URL and SUPABASE_ANON_KEY")
        base = settings.supabase_url.rstrip("/")
        anon = settings.supabase_anon_key.get_secret_value()
        self._auth_url = f"{base}/auth/v1"
        self._headers = {"apikey": anon, "Authorization": f"Bearer {anon}"}
        self._http = http
        secret = settings.supabase_jwt_secret
        self._hs256 = HS256Verifier(secret.get_secret_value(), audience=AUDIENCE) if secret else None
        jwks_url = settings.supabase_jwks_url or f"{self._auth_url}/.well-known/jwks.json"
        self._jwks = JwksVerifier(jwks_url, client=http, audience=AUDIENCE)

    def _client(self) -> AsyncGoTrueClient:
        """A fresh client per call: GoTrue clients hold one user's session, never share them."""
        return AsyncGoTrueClient(
            url=self._auth_url,
            headers=self._headers,
            http_client=self._http,
            storage=AsyncMemoryStorage(),
            persist_session=False,
            auto_refresh_token=False,
        )

    async def register(self, *, email: str, password: str) -> TokenPair:
        try:
            response = await self._client().sign_up({"email": email, "password": password})
        except AuthWeakPasswordError as error:
            raise RegistrationRejected(error.message) from error
        except AuthApiError as error:
            if error.code in {"user_already_exists", "email_exists"} or error.status == 422:
                raise EmailTaken("an account with this email already exists") from error
            raise RegistrationRejected(error.message) from error
        return _pair(response)

    async def login(self, *, email: str, password: str) -> TokenPair:
        try:
            response = await self._client().sign_in_with_password({"email": email, "password": password})
        except AuthError as error:
            raise InvalidCredentials("wrong email or password") from error
        return _pair(response)

    async def refresh(self, *, refresh_token: str) -> TokenPair:
        try:
            response = await self._client().refresh_session(refresh_token)
        except AuthError as error:
            raise InvalidToken("refresh token is unknown, expired or already used") from error
        return _pair(response)

    async def logout(self, *, refresh_token: str | None, access_token: str | None) -> None:
        """Revokes the session's refresh tokens at Supabase (scope "local": this device only)."""
        if not access_token:
            return
        try:
            await self._client().admin.sign_out(access_token, "local")
        except AuthError as error:
            raise InvalidToken("access token was not accepted by Supabase") from error

    async def verify_access_token(self, token: str) -> AuthUser:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError as error:
            raise InvalidToken(f"invalid access token: {error}") from error
        if algorithm == "HS256":
            if self._hs256 is None:
                raise InvalidToken("HS256 token but no SUPABASE_JWT_SECRET is configured")
            return await self._hs256.verify(token)
        return await self._jwks.verify(token)
