"""Versioned SQL migrations: `NNNN_name.sql` files applied in order, one transaction each.

Applied versions are recorded in `schema_migrations` (with a checksum, so an edited file that was already
applied is refused rather than silently skipped). A PostgreSQL advisory lock serialises appliers: several
API replicas starting at once apply each migration exactly once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Arbitrary constant shared by every Conectafy process ("conectaf" in ASCII).
ADVISORY_LOCK_KEY = 0x636F6E6563746166
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(RuntimeError):
    """The migration files or the recorded history are inconsistent; nothing was changed."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every `.sql` file in `directory`, ordered by version; a misnamed or duplicate file is an error."""
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lowercase_name.sql")
        version = int(match["version"])
        if version in migrations:
            raise MigrationError(f"{path.name}: version {version} is used twice")
        migrations[version] = Migration(version, match["name"], path.read_text())
    return [migrations[v] for v in sorted(migrations)]


async def _check_history(conn: asyncpg.Connection, migrations: list[Migration]) -> set[int]:
    """The versions already applied, after checking that none of their files has changed since."""
    rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
    by_version = {m.version: m for m in migrations}
    for row in rows:
        known = by_version.get(row["version"])
        if known is not None and known.checksum != row["checksum"]:
            raise MigrationError(f"migration {row['version']:04d}_{known.name} changed after it was applied")
    return {row["version"] for row in rows}


async def apply_migrations(conn: asyncpg.Connection, *, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the pending migrations; returns the versions applied now (empty when up to date)."""
    migrations = load_migrations(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await conn.execute(_CREATE_TABLE)
        applied = await _check_history(conn, migrations)
        done: list[int] = []
        for migration in migrations:
            if migration.version in applied:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            done.append(migration.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)


async def migrate(dsn: str, *, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Connect, apply what is pending, disconnect (used by `conectafy migrate` and at API start-up)."""
    conn = await asyncpg.connect(dsn)
    try:
        return await apply_migrations(conn, directory=directory)
    finally:
        await conn.close()
