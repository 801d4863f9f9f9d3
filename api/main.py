"""The API application: `create_app()` wires settings, database, accounts, routes and background tasks.

Start-up order (lifespan): embedded PostgreSQL when no DATABASE_URL → migrations (advisory-locked, so
replicas may start together) → asyncpg pool → accounts → background tasks (A2/A3's watchers/listeners).
Everything created here is stored on `app.state` and reaches routes through `conectafy.api.deps`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import asyncpg
import httpx
from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp

from conectafy.api import metrics
from conectafy.api.auth import Accounts
from conectafy.api.auth.builtin import BuiltinAccounts
from conectafy.api.auth.secret import resolve_jwt_secret
from conectafy.api.auth.supabase import SupabaseAccounts
from conectafy.api.db import create_pool, pool_in_use, pool_waiting
from conectafy.api.embedded import EmbeddedPostgres
from conectafy.api.errors import ERROR_BODY_SCHEMA, install_error_handlers
from conectafy.api.middleware import AccessLog, BodySizeLimit
from conectafy.api.migrate import migrate
from conectafy.api.ratelimit import TokenBucketLimiter
from conectafy.api.routes import webhooks
from conectafy.api.services.group_commit import BatchStatement, GroupCommit
from conectafy.api.store.deliveries import MESSAGE_BATCH_SQL, MESSAGE_DELIVERY_SQL, message_batch
from conectafy.api.web import SpaStaticFiles, dashboard_available
from conectafy.gc_pauses import startup_objects_frozen
from conectafy.logs import get_logger
from conectafy.settings import ApiSettings

log = get_logger(__name__)

#: Metrics are Prometheus (`conectafy.api.metrics`); FastAPI's OpenTelemetry hooks would otherwise look
#: up the global providers on every request (measured in issue 13's profile of the webhook route).
NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
#: A background task: entered after the pool is open, exited (cancelled/cleaned) at shutdown.
BackgroundTask = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def default_routers() -> list[APIRouter]:
    """Every router of the API. Add yours here (one line)."""
    from conectafy.api.routes import auth, backfill, chats, demo, events, health, media, sessions

    routers = [health.router, auth.router, sessions.router, chats.router, events.router]
    return [*routers, media.router, backfill.router, demo.info_router]


def default_background_tasks() -> list[BackgroundTask]:
    """Long-running tasks (event listeners, resource watchers). Add yours here (one line)."""
    from conectafy.api.leadership import leader_election
    from conectafy.api.services.backfill import backfills
    from conectafy.api.services.events import live_events
    from conectafy.api.services.media_copy import media_copies
    from conectafy.api.services.retention import retention
    from conectafy.api.services.session_runtime import session_runtime

    return [leader_election, session_runtime, live_events, media_copies, retention, backfills]


def build_accounts(settings: ApiSettings, pool: asyncpg.Pool, http: httpx.AsyncClient) -> Accounts:
    if settings.supabase_mode:
        return SupabaseAccounts(settings, http=http)
    return BuiltinAccounts(pool, settings, jwt_secret=resolve_jwt_secret(settings))


async def _open_database(settings: ApiSettings, stack: AsyncExitStack) -> asyncpg.Pool:
    dsn = settings.database_url
    if dsn is None:
        embedded = EmbeddedPostgres(settings.data_dir)
        dsn = await embedded.start()
        stack.push_async_callback(embedded.stop)
        log.info("embedded postgres started", pgdata=str(embedded.pgdata))
    applied = await migrate(dsn)
    log.info("migrations applied", versions=applied)
    pool = await create_pool(dsn, min_size=settings.db_pool_min_size, max_size=settings.db_pool_max_size)
    stack.push_async_callback(pool.close)
    metrics.DB_POOL_IN_USE.set_function(lambda: pool_in_use(pool))  # read at scrape time
    metrics.DB_POOL_WAITING.set_function(lambda: pool_waiting(pool))
    return pool


def _lifespan(background: Sequence[BackgroundTask]) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings: ApiSettings = app.state.settings
        async with AsyncExitStack() as stack:
            app.state.pool = await _open_database(settings, stack)
            app.state.message_writer = GroupCommit(
                app.state.pool, MESSAGE_DELIVERY_SQL, batch=BatchStatement(MESSAGE_BATCH_SQL, message_batch)
            )
            app.state.http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
            app.state.accounts = build_accounts(settings, app.state.pool, app.state.http)
            for task in background:
                await stack.enter_async_context(task(app))
            with startup_objects_frozen():  # short full collections while serving
                yield

    return lifespan


class ConectafyApi(FastAPI):
    """FastAPI with the webhook endpoint as its outermost layer: one request per WhatsApp message skips
    routing and every middleware (`conectafy.api.routes.webhooks`)."""

    def build_middleware_stack(self) -> ASGIApp:
        max_bytes = self.state.settings.max_body_bytes
        return webhooks.WebhookEndpoint(
            super().build_middleware_stack(), state=self.state, max_bytes=max_bytes
        )

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document plus the webhook endpoint, which is not one of its routes."""
        if self.openapi_schema is None:
            schema = super().openapi()
            schema["paths"].update(webhooks.openapi_paths())
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["WebhookAck"] = webhooks.WebhookAck.model_json_schema()
            schemas["ErrorBody"] = ERROR_BODY_SCHEMA
            self.openapi_schema = schema
        return self.openapi_schema


def create_app(
    settings: ApiSettings | None = None,
    *,
    routers: Sequence[APIRouter] | None = None,
    background: Sequence[BackgroundTask] | None = None,
) -> FastAPI:
    """A fully wired app; tests pass their own settings (and may narrow routers/background tasks)."""
    settings = settings or ApiSettings()
    app = ConectafyApi(
        title="Conectafy API",
        version="0.1.0",
        lifespan=_lifespan(default_background_tasks() if background is None else background),
        telemetry=NO_OPENTELEMETRY,
    )
    app.state.settings = settings
    # The webhook's optional helpers, set by their background tasks when those run (tests narrow them).
    app.state.media_copier = app.state.backfiller = None
    app.state.login_limiter = TokenBucketLimiter(
        capacity=settings.login_rate_limit, window=settings.login_rate_window.total_seconds()
    )
    install_error_handlers(app)
    for router in default_routers() if routers is None else routers:
        app.include_router(router)
    if settings.demo:  # `conectafy demo` only: the simulated phone and the banner
        from conectafy.api.routes import demo

        app.include_router(demo.router)
    if dashboard_available(settings.web_dist_dir):
        app.mount("/", SpaStaticFiles(settings.web_dist_dir), name="dashboard")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)
    return app
