"""The real API in its own process for the benchmarks, on an embedded (or given) PostgreSQL.

    python bench/api_server.py DSN PORT DATA_DIR WORKERS    # what `api_process` runs

uvicorn (uvloop + httptools) on 127.0.0.1 with `WORKERS` processes, live events on, access logs at
WARNING; the session directory knows every session's webhook key (KEY, no Kubernetes here): whether a
session exists is the database's answer, as in production. Shared by bench/ingest.py and bench/push.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import psutil
from fastapi import FastAPI

from conectafy.api.embedded import EmbeddedPostgres
from conectafy.api.migrate import migrate

KEY = "bench-webhook-key"
NAMESPACE = "bench"
JWT_SECRET = "b" * 48


class _StaticKeys:
    """The session directory of a benchmark: one key for every session (no Kubernetes)."""

    namespace = NAMESPACE

    async def webhook_key(self, session_name: str) -> str | None:
        return KEY

    async def nudge(self, session_name: str, waha_status: str) -> bool:
        return False


def serve(dsn: str, port: int, data_dir: str, workers: int = 1) -> None:
    """Every worker process builds its own app (own pool, group commit, LISTEN connection)."""
    import uvicorn

    os.environ["CONECTAFY_BENCH_SERVE"] = json.dumps([dsn, data_dir])
    uvicorn.run(
        "api_server:worker_app", factory=True, host="127.0.0.1", port=port, workers=workers,
        loop="uvloop", http="httptools", log_level="warning", access_log=False, proxy_headers=False,
    )  # fmt: skip


def worker_app() -> FastAPI:
    from pydantic import SecretStr

    from conectafy.api.main import create_app
    from conectafy.api.services.events import live_events
    from conectafy.logs import configure_logging
    from conectafy.settings import ApiSettings

    dsn, data_dir = json.loads(os.environ["CONECTAFY_BENCH_SERVE"])
    configure_logging("json", "WARNING")
    settings = ApiSettings(
        database_url=dsn,
        data_dir=Path(data_dir),
        jwt_secret=SecretStr(JWT_SECRET),
        db_pool_max_size=20,
        web_dist_dir=Path(data_dir) / "none",
    )
    app: FastAPI = create_app(settings, background=[live_events])
    app.state.session_directory = _StaticKeys()  # what session_runtime would set (no Kubernetes here)
    return app


@contextlib.asynccontextmanager
async def database(dsn: str | None) -> AsyncIterator[str]:
    """`dsn`, or a temporary embedded PostgreSQL."""
    if dsn:
        yield dsn
        return
    with tempfile.TemporaryDirectory(prefix="conectafy-bench-") as folder:
        server = EmbeddedPostgres(Path(folder), database="bench", delete_on_stop=True)
        try:
            yield await server.start()
        finally:
            await server.stop()


async def empty_database(dsn: str) -> None:
    """Migrated, and without the rows of an earlier run."""
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "TRUNCATE events, webhook_deliveries, contacts, messages, whatsapp_sessions CASCADE"
        )
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_ready(url: str, server: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        for _ in range(600):
            if server.returncode is not None:
                raise RuntimeError("the API process exited")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the API did not become ready")


@contextlib.asynccontextmanager
async def api_process(dsn: str, workers: int) -> AsyncIterator[tuple[int, psutil.Process]]:
    """The API serving on 127.0.0.1: its port and process (uvicorn's workers are its children)."""
    port, data_dir = free_port(), tempfile.mkdtemp(prefix="conectafy-bench-api-")
    command = [sys.executable, __file__, dsn, str(port), data_dir, str(workers)]
    server = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL)
    try:
        await _wait_ready(f"http://127.0.0.1:{port}", server)
        yield port, psutil.Process(server.pid)
    finally:
        server.terminate()
        await server.wait()


def cpu_seconds(process: psutil.Process) -> float:
    """CPU of a process and its children (the API's uvicorn workers)."""
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = each.cpu_times()
            total += times.user + times.system
    return total


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
