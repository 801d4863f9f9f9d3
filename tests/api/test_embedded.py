"""With no DATABASE_URL the API starts its own PostgreSQL in data_dir, migrates it and serves from it."""

from __future__ import annotations

import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from conectafy.api.auth.secret import SECRET_FILE, resolve_jwt_secret
from conectafy.api.deps import ComponentCheck, check_kubernetes
from conectafy.api.main import create_app
from conectafy.settings import ApiSettings


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Outside pytest's basetemp, which concurrent pytest runs prune."""
    folder = Path(tempfile.mkdtemp(prefix="conectafy-data-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def _not_configured() -> ComponentCheck:
    return ComponentCheck("not configured")


async def test_api_without_database_url_runs_on_embedded_postgres(data_dir: Path) -> None:
    settings = ApiSettings(database_url=None, data_dir=data_dir, web_dist_dir=data_dir / "none")
    app = create_app(settings, background=[])
    app.dependency_overrides[check_kubernetes] = _not_configured
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            registered = await http.post(
                "/api/auth/register", json={"email": "ana@example.com", "password": "long enough"}
            )
            ready = await http.get("/ready")
        server_address = await app.state.pool.fetchval("SELECT inet_server_addr()")
    assert (registered.status_code, ready.json()["checks"]["database"]) == (
        201,
        {"status": "ok", "detail": None},
    )
    assert (data_dir / "postgres" / "PG_VERSION").is_file()
    assert server_address is None  # connected over the Unix socket: the server has no TCP listener


def test_generated_jwt_secret_is_persisted_privately(tmp_path: Path) -> None:
    settings = ApiSettings(database_url="postgresql://unused", data_dir=tmp_path)
    first, second = resolve_jwt_secret(settings), resolve_jwt_secret(settings)
    mode = stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode)
    assert (first == second, len(first) >= 32, mode) == (True, True, 0o600)


def test_configured_jwt_secret_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = ApiSettings(
        database_url="x", data_dir=tmp_path, jwt_secret=SecretStr("configured-" + "s" * 40)
    )
    assert resolve_jwt_secret(settings) == "configured-" + "s" * 40
    assert not (tmp_path / SECRET_FILE).exists()
