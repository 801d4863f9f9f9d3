"""Fixtures of the browser tests: the built dashboard, the real API on 127.0.0.1, Debian's Chromium.

PostgreSQL comes from the API tests' fixtures (imported here, so both folders share one way of
making databases); Kubernetes is kmock, as in tests/api/test_sessions.py.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import kmock
import pytest

from conectafy.api.main import create_app
from conectafy.settings import ApiSettings
from conectafy.simulator.runner import serve
from tests.api.conftest import api_settings, db_pool, pg_dsn, pg_server_dsn, pg_template  # noqa: F401
from tests.support.kube import prepare_kmock

WEB = Path(__file__).resolve().parents[2] / "web"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
NAMESPACE = "conectafy-web"


@pytest.fixture(scope="session")
def web_dist() -> Path:
    """web/dist, built with `npm ci && npm run build` when missing (a clean checkout); skips without npm."""
    dist = WEB / "dist"
    if not (dist / "index.html").is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("browser: web/dist is not built and npm is not installed")
        if not (WEB / "node_modules").is_dir():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
        subprocess.run([npm, "run", "build"], cwd=WEB, check=True)
    return dist


@pytest.fixture
def cluster(kmock: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    prepare_kmock(kmock)
    return kmock


@pytest.fixture
def web_settings(api_settings: ApiSettings, cluster: kmock.KubernetesEmulator, web_dist: Path) -> ApiSettings:  # noqa: F811
    """The API tests' settings with kmock as Kubernetes and the built dashboard served at `/`."""
    return api_settings.model_copy(
        update={"kubernetes_url": str(cluster.url), "namespace": NAMESPACE, "web_dist_dir": web_dist}
    )


@pytest.fixture
async def api_url(web_settings: ApiSettings, db_pool: asyncpg.Pool) -> AsyncIterator[str]:  # noqa: F811
    """The real API (and the dashboard it serves) under uvicorn on 127.0.0.1, lifespan running."""
    async with serve(create_app(web_settings)) as url:
        yield url
