"""/api/auth: the same endpoints in built-in and Supabase mode (the `Accounts` behind them differs)."""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException, Request, Response, status

from conectafy.api.auth import EmailTaken, InvalidCredentials, InvalidToken, RegistrationRejected, TokenPair
from conectafy.api.deps import AccountsDep, BearerDep, CurrentUser, LoginLimiterDep, SettingsDep
from conectafy.api.metrics import LOGIN_ATTEMPTS
from conectafy.api.schemas.auth import (
    AuthConfigPublic,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    TokenPublic,
    UserCreate,
    UserPublic,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _public(pair: TokenPair) -> TokenPublic:
    return TokenPublic(
        user=UserPublic(id=pair.user.id, email=pair.user.email),
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        confirmation_required=pair.access_token is None,
    )


@router.get("/config")
async def auth_config(settings: SettingsDep) -> AuthConfigPublic:
    if settings.supabase_mode:
        anon = settings.supabase_anon_key.get_secret_value() if settings.supabase_anon_key else None
        return AuthConfigPublic(
            mode="supabase",
            supabase_url=settings.supabase_url,
            supabase_anon_key=anon,
            password_min_length=settings.password_min_length,
        )
    return AuthConfigPublic(mode="builtin", password_min_length=settings.password_min_length)


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(body: UserCreate, accounts: AccountsDep, settings: SettingsDep) -> TokenPublic:
    if len(body.password) < settings.password_min_length:
        raise HTTPException(
            422,
            f"password must have at least {settings.password_min_length} characters",
        )
    try:
        return _public(await accounts.register(email=body.email, password=body.password))
    except EmailTaken as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except RegistrationRejected as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error


@router.post("/login")
async def login(
    body: LoginRequest, request: Request, accounts: AccountsDep, limiter: LoginLimiterDep
) -> TokenPublic:
    client_ip = request.client.host if request.client else "unknown"
    wait = limiter.acquire((client_ip, body.email.lower()))
    if wait > 0:
        LOGIN_ATTEMPTS.labels(result="rate_limited").inc()
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many login attempts; try again later",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    try:
        pair = await accounts.login(email=body.email, password=body.password)
    except InvalidCredentials as error:
        LOGIN_ATTEMPTS.labels(result="invalid").inc()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    LOGIN_ATTEMPTS.labels(result="success").inc()
    return _public(pair)


@router.post("/refresh")
async def refresh(body: RefreshRequest, accounts: AccountsDep) -> TokenPublic:
    try:
        return _public(await accounts.refresh(refresh_token=body.refresh_token))
    except InvalidToken as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    accounts: AccountsDep, credentials: BearerDep, body: LogoutRequest | None = None
) -> Response:
    """Revokes the refresh token (built-in) or the Supabase session; idempotent, the body is optional."""
    access_token = credentials.credentials if credentials else None
    refresh_token = body.refresh_token if body else None
    try:
        await accounts.logout(refresh_token=refresh_token, access_token=access_token)
    except InvalidToken as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
async def me(user: CurrentUser) -> UserPublic:
    return UserPublic(id=user.id, email=user.email)
