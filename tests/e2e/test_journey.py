# ruff: noqa: F811 - the fixtures imported below are redefined as test parameters, as pytest wants
"""The e2e twin of tests/integration/test_journey.py: the same journey through the API, on the real
cluster in KUBECONFIG (kube-apiserver + kube-controller-manager, no kubelet).

The operator and the API run in this process against one fresh namespace; the WAHA simulator is the
session's container (tests/integration/waha_pod.py, configured from the real Deployment and Secret).
`fake_kubelet` binds the WAHA pod to a fake Node and reports it Running/Ready; the real ReplicaSet and
Deployment controllers then make the Deployment available. A session made through the API has no
nodeSelector, so on a cluster with real nodes (kind) its pod could land on one: the test skips there.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import kr8s.asyncio
import pytest
from kopf.testing import KopfRunner
from pydantic import SecretStr

from conectafy import labels
from conectafy.api.main import create_app
from conectafy.kube import decode_secret
from conectafy.operator.handlers import build_registry
from conectafy.operator.identity import child_names
from conectafy.settings import ApiSettings, OperatorSettings
from tests.api.conftest import db_pool, pg_dsn, pg_server_dsn, pg_template  # noqa: F401 - fixtures
from tests.api.dataplane import serve
from tests.e2e.fake_kubelet import call, renew_node, run_pods
from tests.e2e.operator_env import (  # noqa: F401 - fixtures
    SESSIONS,
    WAIT,
    api_fixture,
    get,
    namespace_fixture,
    node_fixture,
    poll,
)
from tests.integration.journey import (
    Journey,
    check_another_user_sees_none_of_it,
    check_connected_everywhere,
    check_inbound_message_is_live_and_unread,
    check_reply_reaches_the_contact,
    journey_until_connected,
)
from tests.integration.journey_sends import (
    check_a_retried_send_reaches_the_contact_once,
    check_backfill_brings_a_message_webhooks_missed,
)
from tests.integration.waha_pod import WahaPod, run_waha_container
from tests.support.apiserver import field

pytestmark = pytest.mark.e2e


@pytest.fixture
async def kubelet_free(api: kr8s.asyncio.Api) -> None:
    """Only the fake node may run the session's pod, since the API cannot give it a nodeSelector."""
    nodes = (await call(api, "GET", "v1/nodes"))["items"]
    real = [
        n["metadata"]["name"]
        for n in nodes
        if field(n, "metadata", "labels", "conectafy.io/e2e") != "fake"
    ]
    if real:
        pytest.skip(f"e2e journey: the cluster has kubelet-run nodes {real}; the WAHA pod could land there")


@pytest.fixture
def waha_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def api_url(
    pg_dsn: str, db_pool: asyncpg.Pool, namespace: str, waha_port: int, tmp_path: Path
) -> AsyncIterator[str]:
    """The whole API on 127.0.0.1, on the cluster through KUBECONFIG, in the test's namespace."""
    settings = ApiSettings(
        database_url=pg_dsn,
        data_dir=tmp_path / "data",
        jwt_secret=SecretStr("e2e-secret-" + "x" * 40),
        supabase_url=None,
        web_dist_dir=tmp_path / "no-dashboard",
        argon2_time_cost=1,
        argon2_memory_cost_kib=1024,
        namespace=namespace,
        kubernetes_url=None,
        waha_url_template="http://127.0.0.1:{port}",
        waha_port=waha_port,
    )
    async with serve(create_app(settings)) as url:
        yield url


@pytest.fixture
async def operator(namespace: str, api_url: str, waha_port: int) -> AsyncIterator[None]:
    """The operator on the namespace: WAHA on the chosen port, webhooks to the served API, no WAHA poll."""
    settings = OperatorSettings(
        waha_url_template="http://127.0.0.1:{port}",
        waha_port=waha_port,
        webhook_url_template=f"{api_url}/webhooks/waha/{{namespace}}/{{name}}",
        webhook_retries_policy="constant",
        webhook_retries_delay_seconds=1,
        drift_check_interval=1.0,
        status_poll_interval=3600.0,
    )
    registry = build_registry(settings, standalone=True)
    runner = KopfRunner(["run", "--standalone", "--namespace", namespace], registry=registry, timeout=60)
    await asyncio.to_thread(runner.__enter__)
    yield
    await asyncio.to_thread(runner.__exit__, None, None, None)


@contextlib.asynccontextmanager
async def cluster_pod(
    api: kr8s.asyncio.Api, namespace: str, node: str, session_name: str, port: int
) -> AsyncIterator[WahaPod]:
    """Start the container the operator's Deployment describes, then act as the kubelet until the real
    controllers report the Deployment available."""
    names = child_names(session_name)
    deployment_path = f"apps/v1/namespaces/{namespace}/deployments/{names.deployment}"
    secret_path = f"v1/namespaces/{namespace}/secrets/{names.secret}"

    async def children() -> tuple[dict[str, Any], dict[str, Any]] | None:
        deployment, secret = await get(api, deployment_path), await get(api, secret_path)
        return (deployment, secret) if deployment and secret else None

    deployment, secret = await poll(children)
    async with run_waha_container(deployment, names.secret, decode_secret(secret), port) as pod:

        async def available() -> bool:
            await renew_node(api, node)
            await run_pods(api, namespace, session_name, node)
            live = await get(api, deployment_path) or {}
            return bool(field(live, "status", "availableReplicas"))

        await poll(available, WAIT)
        yield pod


@pytest.fixture
async def journey(
    kubelet_free: None,
    api: kr8s.asyncio.Api,
    namespace: str,
    node: str,
    operator: None,
    api_url: str,
    waha_port: int,
) -> AsyncIterator[Journey]:
    async with journey_until_connected(
        api_url, lambda name: cluster_pod(api, namespace, node, name, waha_port)
    ) as connected:
        yield connected


async def test_the_scan_connects_the_session_through_the_webhook_nudge(
    journey: Journey, api: kr8s.asyncio.Api, namespace: str
) -> None:
    """The operator's WAHA poll is an hour away: Connected came from session.status → API → annotation."""
    await check_connected_everywhere(journey)
    resource = await get(api, f"{SESSIONS}/namespaces/{namespace}/whatsappsessions/{journey.session['name']}")
    assert (resource or {})["metadata"]["annotations"][labels.WAHA_STATUS_HINT] == "WORKING"


async def test_an_inbound_message_arrives_live_and_unread(journey: Journey) -> None:
    await check_inbound_message_is_live_and_unread(journey)


async def test_a_reply_reaches_the_contact_and_is_stored_from_me(journey: Journey) -> None:
    await check_reply_reaches_the_contact(journey)


async def test_another_user_sees_none_of_it(journey: Journey) -> None:
    await check_another_user_sees_none_of_it(journey)


async def test_a_retried_send_reaches_the_contact_once(journey: Journey) -> None:
    await check_a_retried_send_reaches_the_contact_once(journey)


async def test_backfill_brings_a_message_webhooks_missed(journey: Journey) -> None:
    await check_backfill_brings_a_message_webhooks_missed(journey)
