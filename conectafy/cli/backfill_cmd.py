"""`conectafy backfill NAME`: store what WAHA has of a session that webhooks did not deliver.

The same service as `POST /api/sessions/{id}/backfill`, run from a shell next to the database (for
example `kubectl exec deploy/conectafy-api -- conectafy backfill support --waha-url …`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

import typer


@dataclass(frozen=True)
class _OneWaha:
    """The session directory for one session whose WAHA the caller named."""

    url: str
    api_key: str | None

    async def waha_client(self, session_name: str) -> object:
        from conectafy.waha.client import WahaClient

        return WahaClient(self.url, api_key=self.api_key, timeout=30.0)


async def _backfill(name: str, waha: _OneWaha, database_url: str | None) -> str:
    from conectafy.api.db import create_pool
    from conectafy.api.services.backfill import backfill_session
    from conectafy.settings import ApiSettings

    dsn = database_url or ApiSettings().database_url
    if dsn is None:
        raise typer.BadParameter("set --database-url or DATABASE_URL", param_hint="--database-url")
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        report = await backfill_session(pool, waha, session_name=name)  # type: ignore[arg-type]
    finally:
        await pool.close()
    return f"{name}: {report.chats} chats read, {report.messages_read} messages, {report.stored} new"


def register(app: typer.Typer) -> None:
    @app.command("backfill")
    def backfill_command(
        name: Annotated[str, typer.Argument(help="The session (WhatsAppSession name).")],
        waha_url: Annotated[str, typer.Option(help="The session's WAHA, e.g. http://wa-NAME:3000.")],
        api_key: Annotated[
            str | None, typer.Option(envvar="WAHA_API_KEY", help="The session's WAHA API key.")
        ] = None,
        database_url: Annotated[
            str | None, typer.Option(help="PostgreSQL DSN (default DATABASE_URL).")
        ] = None,
    ) -> None:
        """Read every chat's messages newer than the last stored one from WAHA and store the missing ones."""
        import asyncpg

        from conectafy.waha.errors import WahaError

        try:
            typer.echo(asyncio.run(_backfill(name, _OneWaha(waha_url, api_key), database_url)))
        except (LookupError, WahaError, asyncpg.PostgresError, OSError) as error:
            typer.echo(f"backfill failed: {error}", err=True)
            raise typer.Exit(1) from error
