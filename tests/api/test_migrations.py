"""Migrations on real PostgreSQL: ordered, recorded, idempotent, atomic, and safe with concurrent appliers."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from conectafy.api.db import with_database
from conectafy.api.embedded import create_database
from conectafy.api.migrate import MIGRATIONS_DIR, MigrationError, load_migrations, migrate

from .conftest import _drop_database

EXPECTED_TABLES = {
    "schema_migrations",
    "users",
    "refresh_tokens",
    "whatsapp_sessions",
    "messages",
    "contacts",
    "webhook_deliveries",
    "events",
}


@pytest.fixture
def empty_dsn(pg_server_dsn: str) -> Iterator[str]:
    """A brand-new database with no schema at all."""
    name = f"conectafy_m_{uuid.uuid4().hex[:12]}"
    asyncio.run(create_database(pg_server_dsn, name))
    yield with_database(pg_server_dsn, name)
    asyncio.run(_drop_database(pg_server_dsn, name))


async def _fetch(dsn: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(query)
    finally:
        await conn.close()


async def _tables(dsn: str) -> set[str]:
    rows = await _fetch(dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


def _copy_migrations(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    return directory


async def test_first_run_applies_every_migration_and_creates_the_schema(empty_dsn: str) -> None:
    versions = [m.version for m in load_migrations()]
    assert await migrate(empty_dsn) == versions
    assert await _tables(empty_dsn) >= EXPECTED_TABLES
    recorded = await _fetch(empty_dsn, "SELECT version, name, checksum FROM schema_migrations ORDER BY 1")
    assert [(r["version"], r["name"], r["checksum"]) for r in recorded] == [
        (m.version, m.name, m.checksum) for m in load_migrations()
    ]


async def test_second_run_applies_nothing(empty_dsn: str) -> None:
    await migrate(empty_dsn)
    assert await migrate(empty_dsn) == []


async def test_concurrent_appliers_apply_each_migration_once(empty_dsn: str) -> None:
    results = await asyncio.gather(*(migrate(empty_dsn) for _ in range(4)))
    versions = [m.version for m in load_migrations()]
    assert sorted(results, key=len) == [[], [], [], versions]
    rows = await _fetch(empty_dsn, "SELECT count(*) AS n FROM schema_migrations")
    assert rows[0]["n"] == len(versions)


async def test_failing_migration_leaves_nothing_behind(empty_dsn: str, tmp_path: Path) -> None:
    directory = _copy_migrations(tmp_path)
    broken = "CREATE TABLE half_done (id int);\nSELECT no_such_function();\n"
    (directory / "9999_broken.sql").write_text(broken)
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await migrate(empty_dsn, directory=directory)
    assert "half_done" not in await _tables(empty_dsn)
    recorded = await _fetch(empty_dsn, "SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in recorded] == [m.version for m in load_migrations()]


async def test_edited_applied_migration_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    await migrate(empty_dsn)
    directory = _copy_migrations(tmp_path)
    first = sorted(directory.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after release\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(empty_dsn, directory=directory)


@pytest.mark.parametrize(
    ("file_name", "message"),
    [("1_short.sql", "named NNNN_lowercase_name.sql"), ("0001_Upper.sql", "named NNNN_lowercase_name.sql")],
)
def test_misnamed_migration_file_is_refused(tmp_path: Path, file_name: str, message: str) -> None:
    (tmp_path / file_name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=message):
        load_migrations(tmp_path)


def test_duplicate_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="version 1 is used twice"):
        load_migrations(tmp_path)
