"""Accounts: built-in (argon2 + HS256 JWT + rotating refresh tokens) or Supabase; one interface.

Exceptions raised by every `Accounts` implementation (routes map them to HTTP statuses)::

    AuthError
    ├── EmailTaken           409 on register
    ├── InvalidCredentials   401 on login
    ├── InvalidToken         401 on a bad, expired, forged or revoked access/refresh token
    └── RegistrationRejected 400 when the provider refuses the sign-up (e.g. weak password)
"""

from conectafy.api.auth.base import (
    Accounts,
    AuthError,
    AuthUser,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    RegistrationRejected,
    TokenPair,
)

__all__ = [
    "Accounts",
    "AuthError",
    "AuthUser",
    "EmailTaken",
    "InvalidCredentials",
    "InvalidToken",
    "RegistrationRejected",
    "TokenPair",
]
