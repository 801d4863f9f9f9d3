"""Built-in accounts: users in our own database, argon2 hashes, HS256 access tokens, rotating refresh tokens.

Refresh tokens are opaque random strings; only their SHA-256 is stored. Each refresh revokes the presented
token and issues its successor in the same family. Presenting an already-revoked token means it was copied
(the legitimate client holds the successor), so the whole family is revoked and the user signs in again.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

import asyncpg

from conectafy.api.auth.base import AuthUser, EmailTaken, InvalidCredentials, InvalidToken, TokenPair
from conectafy.api.auth.passwords import Passwords
from conectafy.api.auth.tokens import HS256Verifier, issue_access_token
from conectafy.api.store import users as store
from conectafy.settings import ApiSettings

AUDIENCE = "authenticated"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BuiltinAccounts:
    mode = "builtin"

    def __init__(self, pool: asyncpg.Pool, settings: ApiSettings, *, jwt_secret: str) -> None:
        self._pool = pool
        self._settings = settings
        self._secret = jwt_secret
        self._verifier = HS256Verifier(jwt_secret, audience=AUDIENCE, issuer=settings.jwt_issuer)
        self._passwords = Passwords(
            time_cost=settings.argon2_time_cost, memory_cost_kib=settings.argon2_memory_cost_kib
        )

    async def _issue(
        self, conn: asyncpg.Connection, user: AuthUser, family_id: uuid.UUID
    ) -> tuple[TokenPair, uuid.UUID]:
        refresh_token = secrets.token_urlsafe(32)
        token_id = await store.insert_refresh_token(
            conn,
            user_id=user.id,
            family_id=family_id,
            token_hash=_hash_token(refresh_token),
            expires_at=datetime.now(UTC) + self._settings.refresh_token_ttl,
        )
        ttl = self._settings.access_token_ttl
        access = issue_access_token(
            user, secret=self._secret, ttl=ttl, issuer=self._settings.jwt_issuer, audience=AUDIENCE
        )
        pair = TokenPair(user, access, refresh_token, int(ttl.total_seconds()))
        return pair, token_id

    async def register(self, *, email: str, password: str) -> TokenPair:
        password_hash = await self._passwords.hash(password)
        async with self._pool.acquire() as conn, conn.transaction():
            user_id = await store.insert_user(conn, email=email, password_hash=password_hash)
            if user_id is None:
                raise EmailTaken("an account with this email already exists")
            pair, _ = await self._issue(conn, AuthUser(user_id, email), uuid.uuid4())
            return pair

    async def login(self, *, email: str, password: str) -> TokenPair:
        async with self._pool.acquire() as conn:
            row = await store.get_user_by_email(conn, email=email)
            if (
                not await self._passwords.verify(row["password_hash"] if row else None, password)
                or row is None
            ):
                raise InvalidCredentials("wrong email or password")
            pair, _ = await self._issue(conn, AuthUser(row["id"], row["email"]), uuid.uuid4())
            return pair

    async def refresh(self, *, refresh_token: str) -> TokenPair:
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                row = await store.get_refresh_token_for_update(conn, token_hash=_hash_token(refresh_token))
                if row is None or row["expires_at"] <= datetime.now(UTC):
                    raise InvalidToken("refresh token is unknown or expired")
                if row["revoked_at"] is None:
                    user = AuthUser(row["user_id"], row["email"])
                    pair, new_id = await self._issue(conn, user, row["family_id"])
                    await store.mark_refresh_token_replaced(conn, token_id=row["id"], replaced_by=new_id)
                    return pair
            # Reuse of a rotated token: revoke the family outside the (now finished) lookup transaction.
            await store.revoke_refresh_family(conn, family_id=row["family_id"])
            raise InvalidToken("refresh token was already used; please sign in again")

    async def logout(self, *, refresh_token: str | None, access_token: str | None) -> None:
        """Revokes the refresh token's whole family; access tokens simply expire (they are short-lived)."""
        if not refresh_token:
            return
        async with self._pool.acquire() as conn, conn.transaction():
            row = await store.get_refresh_token_for_update(conn, token_hash=_hash_token(refresh_token))
            if row is not None:
                await store.revoke_refresh_family(conn, family_id=row["family_id"])

    async def verify_access_token(self, token: str) -> AuthUser:
        return await self._verifier.verify(token)
