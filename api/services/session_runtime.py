"""The sessions side of the app's lifespan: the Kubernetes client, the directory and its watch task."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from fastapi import FastAPI

from conectafy.kube import Kube
from conectafy.settings import ApiSettings

from ..background import running
from ..leadership import leadership_of
from ..session_directory import SessionDirectory
from .session_mirror import SessionMirror


def build_directory(settings: ApiSettings, kube: Kube) -> SessionDirectory:
    return SessionDirectory(
        kube,
        waha_url_template=settings.waha_url_template,
        waha_port=settings.waha_port,
        waha_timeout=settings.waha_request_timeout,
        nudge_debounce=settings.nudge_debounce_seconds,
        key_master=settings.session_key_master.get_secret_value() if settings.session_key_master else None,
    )


@contextlib.asynccontextmanager
async def session_runtime(app: FastAPI) -> AsyncIterator[None]:
    """A background task of the app: `kube`, `session_directory` and `session_mirror` on app.state.

    Every replica follows the watch (keys, endpoints, the latest resources); only the leader writes
    rows. The watch retries on its own when the cluster is unreachable, so the API starts (and /ready
    explains why) without one.
    """
    settings: ApiSettings = app.state.settings
    pool: asyncpg.Pool = app.state.pool
    kube = Kube(settings.namespace, url=settings.kubernetes_url)
    directory = build_directory(settings, kube)
    mirror = SessionMirror(
        pool, namespace=settings.namespace, kube=kube, check_users=not settings.supabase_mode
    )
    directory.add_listener(mirror.on_event, mirror.on_sync)
    app.state.kube = kube
    app.state.session_directory = directory
    app.state.session_mirror = mirror
    projection = leadership_of(app).run_while_leader(mirror.run)
    try:
        async with (
            running(directory.run(), name="conectafy-session-directory"),
            running(projection, name="conectafy-session-projection"),
        ):
            yield
    finally:
        await kube.aclose()
