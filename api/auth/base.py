"""What both account back-ends promise: the `Accounts` protocol, its results and its errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol


class AuthError(Exception):
    """Base of every account error; the message is safe to show to the caller."""


class EmailTaken(AuthError):
    pass


class InvalidCredentials(AuthError):
    pass


class InvalidToken(AuthError):
    pass


class RegistrationRejected(AuthError):
    pass


@dataclass(frozen=True)
class AuthUser:
    """The authenticated caller, as proven by a verified access token."""

    id: uuid.UUID
    email: str | None


@dataclass(frozen=True)
class TokenPair:
    """A sign-in result. Supabase may create the user without a session (email confirmation pending)."""

    user: AuthUser
    access_token: str | None
    refresh_token: str | None
    expires_in: int | None


class Accounts(Protocol):
    mode: str

    async def register(self, *, email: str, password: str) -> TokenPair: ...

    async def login(self, *, email: str, password: str) -> TokenPair: ...

    async def refresh(self, *, refresh_token: str) -> TokenPair: ...

    async def logout(self, *, refresh_token: str | None, access_token: str | None) -> None: ...

    async def verify_access_token(self, token: str) -> AuthUser: ...
