"""`conectafy migrate` against a real database, and `conectafy api --help`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from conectafy.api.db import with_database
from conectafy.api.embedded import create_database
from conectafy.api.migrate import load_migrations
from conectafy.cli import app

from .conftest import _drop_database

runner = CliRunner()


@pytest.fixture
def fresh_dsn(pg_server_dsn: str) -> Iterator[str]:
    name = f"conectafy_cli_{uuid.uuid4().hex[:12]}"
    asyncio.run(create_database(pg_server_dsn, name))
    yield with_database(pg_server_dsn, name)
    asyncio.run(_drop_database(pg_server_dsn, name))


def test_migrate_applies_then_reports_up_to_date(fresh_dsn: str) -> None:
    first = runner.invoke(app, ["migrate", "--database-url", fresh_dsn])
    second = runner.invoke(app, ["migrate", "--database-url", fresh_dsn])
    versions = ", ".join(f"{m.version:04d}" for m in load_migrations())
    assert (first.exit_code, first.output) == (0, f"applied migrations: {versions}\n")
    assert (second.exit_code, second.output) == (0, "database is up to date\n")


def test_migrate_against_a_missing_database_fails_clearly(pg_server_dsn: str) -> None:
    missing = with_database(pg_server_dsn, f"conectafy_missing_{uuid.uuid4().hex[:8]}")
    result = runner.invoke(app, ["migrate", "--database-url", missing])
    assert result.exit_code == 1
    assert "migration failed:" in result.output and "does not exist" in result.output


def test_api_command_is_registered() -> None:
    result = runner.invoke(app, ["api", "--help"])
    assert result.exit_code == 0 and "--host" in result.output and "--port" in result.output
