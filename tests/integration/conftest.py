"""The whole system in one process, nothing doubled: kmock (one Kubernetes) ← the operator (KopfRunner,
real handlers) and the API (uvicorn, real Postgres, its SessionDirectory watching kmock) ← the WAHA
simulator, started by the test as the session's "pod" once the operator has made its Deployment.

The WAHA port is chosen before anything starts, so the operator's and the API's URL templates point at
it up front, as they would point at a Service in a cluster.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from conectafy.api.main import create_app
from conectafy.settings import ApiSettings, OperatorSettings
from tests.api.conftest import api_settings, db_pool, pg_dsn, pg_server_dsn, pg_template  # noqa: F401
from tests.api.dataplane import serve
from tests.operator.kopf_harness import (
    NAMESPACE,
    ApiServerEmulator,
    declare_resources,
    running_operator,
    write_kubeconfig,
)


@pytest.fixture
def waha_port() -> int:
    """A free 127.0.0.1 port for the session's WAHA, known before the operator and the API start."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def kube(kmock: ApiServerEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ApiServerEmulator:
    """kmock with our CRD and the core resources announced; KUBECONFIG points kopf at it."""
    declare_resources(kmock)
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", str(kmock.url))))
    return kmock


@pytest.fixture
def journey_settings(
    api_settings: ApiSettings,  # noqa: F811 - the API tests' fixture, narrowed here
    kube: ApiServerEmulator,
    waha_port: int,
) -> ApiSettings:
    """The API on kmock, in the operator's namespace, reaching WAHA where the operator does."""
    return api_settings.model_copy(
        update={
            "kubernetes_url": str(kube.url),
            "namespace": NAMESPACE,
            "waha_url_template": "http://127.0.0.1:{port}",
            "waha_port": waha_port,
            "waha_request_timeout": 5.0,
        }
    )


@pytest.fixture
async def api_url(
    journey_settings: ApiSettings,
    db_pool: asyncpg.Pool,  # noqa: F811 - empties the tables before the test
) -> AsyncIterator[str]:
    """The real app (every router, every background task) under uvicorn on 127.0.0.1."""
    async with serve(create_app(journey_settings)) as url:
        yield url


@pytest.fixture
def operator_settings(api_url: str, waha_port: int) -> OperatorSettings:
    """Fast timers, WAHA on the chosen port, webhooks to the served API. The WAHA poll is an hour away,
    so only the API's nudge (after a session.status webhook) can make the operator see a login."""
    return OperatorSettings(
        waha_url_template="http://127.0.0.1:{port}",
        waha_port=waha_port,
        webhook_url_template=f"{api_url}/webhooks/waha/{{namespace}}/{{name}}",
        webhook_retries_policy="constant",
        webhook_retries_delay_seconds=1,
        drift_check_interval=0.3,
        status_poll_interval=3600.0,
        logout_timeout=2.0,
        waha_request_timeout=2.0,
    )


@pytest.fixture
async def operator(kube: ApiServerEmulator, operator_settings: OperatorSettings) -> AsyncIterator[None]:
    """The operator (kopf CLI `run`, cluster-wide, standalone) for the test's duration."""
    async with running_operator(kube, operator_settings):
        yield
