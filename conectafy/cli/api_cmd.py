"""`conectafy api` serves the API (uvicorn); `conectafy migrate` applies the database migrations."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from conectafy.settings import ApiSettings


def worker_app() -> FastAPI:
    """One uvicorn worker's app, from the environment (`--workers N` starts N processes, each with its own
    pool, group commit, LISTEN connection and rate limiter; the database is shared, so dedupe, leader
    election (an advisory lock) and live events across workers work as across replicas)."""
    from conectafy.api.main import create_app
    from conectafy.logs import configure_logging
    from conectafy.settings import ApiSettings

    settings = ApiSettings()
    configure_logging(settings.log_format, settings.log_level)
    return create_app(settings)


def run_api(*, host: str | None, port: int | None, workers: int = 1) -> None:
    """Blocks until SIGINT/SIGTERM; logs are JSON lines (uvicorn's own access log is replaced by ours)."""
    import uvicorn

    from conectafy.api.auth.secret import resolve_jwt_secret
    from conectafy.logs import configure_logging
    from conectafy.settings import ApiSettings

    settings = ApiSettings()
    configure_logging(settings.log_format, settings.log_level)
    with _shared_database(settings, workers):
        if workers > 1 and not settings.supabase_mode:
            resolve_jwt_secret(settings)  # generated once here, before the workers read it
        uvicorn.run(
            f"{__name__}:worker_app",
            factory=True,
            workers=workers,
            host=host or settings.host,
            port=port or settings.port,
            access_log=False,
            log_config=None,
            proxy_headers=False,
        )


@contextlib.contextmanager
def _shared_database(settings: ApiSettings, workers: int) -> Iterator[None]:
    """Several workers and no DATABASE_URL: one embedded PostgreSQL, started here and handed to them."""
    if workers == 1 or settings.database_url is not None:
        yield
        return
    from conectafy.api.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(settings.data_dir)
    os.environ["CONECTAFY_DATABASE_URL"] = asyncio.run(embedded.start())
    try:
        yield
    finally:
        asyncio.run(embedded.stop())


async def _migrate(database_url: str | None) -> list[int]:
    from conectafy.api.embedded import EmbeddedPostgres
    from conectafy.api.migrate import migrate
    from conectafy.settings import ApiSettings

    settings = ApiSettings()
    dsn = database_url or settings.database_url
    if dsn is not None:
        return await migrate(dsn)
    embedded = EmbeddedPostgres(settings.data_dir)
    try:
        return await migrate(await embedded.start())
    finally:
        await embedded.stop()


def run_migrate(database_url: str | None) -> None:
    import asyncpg

    from conectafy.api.migrate import MigrationError

    try:
        applied = asyncio.run(_migrate(database_url))
    except (MigrationError, asyncpg.PostgresError, OSError) as error:
        typer.echo(f"migration failed: {error}", err=True)
        raise typer.Exit(1) from error
    if applied:
        typer.echo("applied migrations: " + ", ".join(f"{v:04d}" for v in applied))
    else:
        typer.echo("database is up to date")


def register(app: typer.Typer) -> None:
    @app.command("api")
    def api_command(
        host: Annotated[
            str | None, typer.Option(help="Listen address (default CONECTAFY_HOST or 127.0.0.1).")
        ] = None,
        port: Annotated[
            int | None, typer.Option(help="Listen port (default CONECTAFY_PORT or 8000).")
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                min=1,
                help="API processes sharing the port (uvicorn workers); each has its own database pool,"
                " group commit and live-event listener.",
            ),
        ] = 1,
    ) -> None:
        """Serve the Conectafy API (and the built dashboard). Migrations run at start-up."""
        run_api(host=host, port=port, workers=workers)

    @app.command("migrate")
    def migrate_command(
        database_url: Annotated[
            str | None,
            typer.Option(help="PostgreSQL DSN (default DATABASE_URL; unset uses the embedded PostgreSQL)."),
        ] = None,
    ) -> None:
        """Apply pending database migrations (safe to run from several places at once)."""
        run_migrate(database_url)
