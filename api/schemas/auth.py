"""Request/response bodies of /api/auth (validated here, at the edge)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from conectafy.text import StorableText


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class UserCreate(_Strict):
    email: EmailStr = Field(max_length=320)
    #: The minimum length is checked against settings by the route (it is configurable).
    password: StorableText = Field(min_length=1, max_length=1024)


class LoginRequest(_Strict):
    email: EmailStr = Field(max_length=320)
    password: StorableText = Field(min_length=1, max_length=1024)


class RefreshRequest(_Strict):
    refresh_token: StorableText = Field(min_length=1, max_length=4096)


class LogoutRequest(_Strict):
    refresh_token: StorableText | None = Field(default=None, min_length=1, max_length=4096)


class UserPublic(BaseModel):
    id: uuid.UUID
    email: str | None


class TokenPublic(BaseModel):
    """Tokens are null only after a Supabase sign-up that waits for email confirmation."""

    user: UserPublic
    access_token: str | None
    refresh_token: str | None
    token_type: Literal["bearer"] = "bearer"
    expires_in: int | None
    confirmation_required: bool = False


class AuthConfigPublic(BaseModel):
    """What the web app needs to know; the Supabase anon key is public by design, the service key never is."""

    mode: Literal["builtin", "supabase"]
    supabase_url: str | None = None
    supabase_anon_key: str | None = None
    password_min_length: int
