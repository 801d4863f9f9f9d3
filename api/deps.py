"""Every external thing enters a route through one of these dependencies, so tests can override it.

Objects created at start-up live on `app.state` (settings, pool, accounts, limiter); the aliases below
hand them to routes. Sessions (A3) add `KubeDep`/`SessionDirectoryDep` here. The webhook route reads
`app.state` itself (its per-request cost matters, issue 13): tests replace what it uses on `app.state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import asyncpg
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from conectafy.api.auth import Accounts, AuthUser, InvalidToken
from conectafy.api.media_store import MediaStore
from conectafy.api.ratelimit import TokenBucketLimiter
from conectafy.api.services.session_mirror import SessionMirror
from conectafy.api.session_directory import SessionDirectory
from conectafy.kube import Kube, KubeError
from conectafy.settings import ApiSettings

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/auth/login")


async def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


async def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def get_accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


async def get_login_limiter(request: Request) -> TokenBucketLimiter:
    limiter: TokenBucketLimiter = request.app.state.login_limiter
    return limiter


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
DbDep = Annotated[asyncpg.Pool, Depends(get_pool)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
LoginLimiterDep = Annotated[TokenBucketLimiter, Depends(get_login_limiter)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_current_user(accounts: AccountsDep, credentials: BearerDep) -> AuthUser:
    """The caller proven by a locally verified access token; 401 (with WWW-Authenticate) otherwise."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", headers=challenge)
    try:
        return await accounts.verify_access_token(credentials.credentials)
    except InvalidToken as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error), headers=challenge) from error


CurrentUser = Annotated[AuthUser, Depends(get_current_user)]


@dataclass(frozen=True)
class ComponentCheck:
    """One line of /ready: "ok", "error" (with why) or "not configured" (does not fail readiness)."""

    status: Literal["ok", "error", "not configured"]
    detail: str | None = None


async def get_kube(request: Request) -> Kube:
    kube: Kube = request.app.state.kube
    return kube


async def get_session_directory(request: Request) -> SessionDirectory:
    directory: SessionDirectory = request.app.state.session_directory
    return directory


async def get_session_mirror(request: Request) -> SessionMirror:
    mirror: SessionMirror = request.app.state.session_mirror
    return mirror


KubeDep = Annotated[Kube, Depends(get_kube)]
SessionDirectoryDep = Annotated[SessionDirectory, Depends(get_session_directory)]
SessionMirrorDep = Annotated[SessionMirror, Depends(get_session_mirror)]


async def get_media_store(request: Request) -> MediaStore | None:
    """S3-compatible media storage; None when it is not configured."""
    store: MediaStore | None = getattr(request.app.state, "media_store", None)
    return store


MediaStoreDep = Annotated[MediaStore | None, Depends(get_media_store)]


async def check_kubernetes(request: Request) -> ComponentCheck:
    """The WhatsAppSessions of our namespace can be listed ("not configured" when sessions are off)."""
    directory: SessionDirectory | None = getattr(request.app.state, "session_directory", None)
    if directory is None:
        return ComponentCheck("not configured")
    try:
        await directory.check_kubernetes()
    except KubeError as error:
        return ComponentCheck("error", f"{type(error).__name__}: {error}")
    return ComponentCheck("ok")


KubeReadyDep = Annotated[ComponentCheck, Depends(check_kubernetes)]
