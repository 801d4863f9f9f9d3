"""Start the demo in order — PostgreSQL, the Kubernetes API, the API with the dashboard, the kubelet, the
operator — and stop it in reverse. The API and the operator are the real commands (`conectafy api`,
`conectafy operator`) in their own processes, configured through their environment as the Helm chart
configures them; only their Kubernetes and their WAHA are simulated.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import kmock

from conectafy.api.embedded import EmbeddedPostgres
from conectafy.crd import build_crd
from conectafy.demo.apiserver import write_kubeconfig
from conectafy.demo.kubeapi import DemoApiServer, declare_demo_resources
from conectafy.demo.kubelet import DemoKubelet
from conectafy.demo.processes import Child, conectafy_command, start_child, stop_child
from conectafy.session import API_VERSION, PLURAL

NAMESPACE = "conectafy"
READY_WITHIN = 120.0  # seconds for the API (migrations included) and the operator to come up


class DemoError(Exception):
    """The demo could not start; the message says which part and where its log is."""


@dataclass(frozen=True)
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    kube_port: int = 0
    data_dir: Path | None = None  # None: a fresh temporary folder, removed at exit


@dataclass(frozen=True)
class Demo:
    """A running demo: where everything is, for the banner, the seed and the tests."""

    api_url: str
    kube_url: str
    kubeconfig: Path
    data_dir: Path
    namespace: str
    children: tuple[Child, ...]
    kubelet: DemoKubelet


def waha_url_template(kube_url: str) -> str:
    """WAHA through the API server's service proxy: one address for every session's pod."""
    return f"{kube_url}/api/v1/namespaces/{{namespace}}/services/{{service}}:{{port}}/proxy"


#: One session key master per demo run, as the chart generates one per install: the operator writes each
#: session's derived keys into its Secret, the API computes them (docs/architecture.md).
SESSION_KEY_MASTER = secrets.token_urlsafe(32)


def api_env(options: DemoOptions, dsn: str, kube_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "CONECTAFY_DEMO": "true",
        "CONECTAFY_SESSION_KEY_MASTER": SESSION_KEY_MASTER,
        "DATABASE_URL": dsn,
        "CONECTAFY_DATA_DIR": str(data_dir),
        "CONECTAFY_KUBERNETES_URL": kube_url,
        "CONECTAFY_NAMESPACE": NAMESPACE,
        "CONECTAFY_WAHA_URL_TEMPLATE": waha_url_template(kube_url),
        "CONECTAFY_HOST": options.host,
        "CONECTAFY_PORT": str(options.port),
    }


def operator_env(options: DemoOptions, kube_url: str, kubeconfig: Path) -> dict[str, str]:
    return {
        "KUBECONFIG": str(kubeconfig),
        "CONECTAFY_SESSION_KEY_MASTER": SESSION_KEY_MASTER,
        "CONECTAFY_WAHA_URL_TEMPLATE": waha_url_template(kube_url),
        "CONECTAFY_WEBHOOK_URL_TEMPLATE": (
            f"http://127.0.0.1:{options.port}/webhooks/waha/{{namespace}}/{{name}}"
        ),
        "CONECTAFY_WEBHOOK_RETRIES_POLICY": "constant",
        "CONECTAFY_WEBHOOK_RETRIES_DELAY_SECONDS": "1",
        # A session applied with kubectl without an owner label is shown to nobody, and its webhooks
        # nudge nothing: poll often so it still connects.
        "CONECTAFY_STATUS_POLL_INTERVAL": "5",
    }


async def _wait(check: Callable[[], Awaitable[bool]], child: Child, what: str) -> None:
    """Until `check()` holds; a clear error naming the part and its log when its process exits first."""
    deadline = asyncio.get_running_loop().time() + READY_WITHIN
    while True:
        if await check():
            return
        if not child.running or asyncio.get_running_loop().time() > deadline:
            state = "exited" if not child.running else "did not come up in time"
            raise DemoError(f"{what} {state}; see its log: {child.log}")
        await asyncio.sleep(0.2)


async def _api_ready(url: str) -> bool:
    async with httpx.AsyncClient(timeout=2) as http:
        with contextlib.suppress(httpx.HTTPError):
            return (await http.get(f"{url}/ready")).status_code == 200
    return False


async def _prepare_cluster(server: DemoApiServer) -> None:
    """What a cluster with the chart installed announces and holds: our resources and the CRD.

    (No Namespace objects: kmock cannot serve cluster-scoped core objects; namespaces need none.)"""
    declare_demo_resources(server)
    async with httpx.AsyncClient(base_url=str(server.url)) as http:
        crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        (await http.post(crds, json=build_crd())).raise_for_status()


async def _watching(server: DemoApiServer) -> bool:
    """The operator is up once it watches the sessions."""
    return f"/apis/{API_VERSION}/{PLURAL}" in server.watched  # cluster-wide: the API watches one namespace


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def _data_dir(options: DemoOptions) -> AsyncIterator[Path]:
    if options.data_dir is not None:
        options.data_dir.mkdir(parents=True, exist_ok=True)
        yield options.data_dir.resolve()
        return
    folder = Path(tempfile.mkdtemp(prefix="conectafy-demo-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def _child(name: str, argv: list[str], env: dict[str, str], log: Path) -> AsyncIterator[Child]:
    child = await start_child(name, argv, env, log)
    try:
        yield child
    finally:
        await stop_child(child)


@contextlib.asynccontextmanager
async def run_demo(options: DemoOptions) -> AsyncIterator[Demo]:
    """Everything up until the block exits; then stopped in reverse order, also on failure."""
    async with AsyncExitStack() as stack:
        data_dir = await stack.enter_async_context(_data_dir(options))
        logs = data_dir / "logs"
        postgres = EmbeddedPostgres(data_dir)
        stack.push_async_callback(postgres.stop)
        dsn = await postgres.start()
        server = await stack.enter_async_context(DemoApiServer())
        await stack.enter_async_context(kmock.Server(server, port=options.kube_port or None))
        kube_url = str(server.url).rstrip("/")
        await _prepare_cluster(server)
        kubeconfig = write_kubeconfig(data_dir / "kubeconfig", kube_url, NAMESPACE)
        api_url = f"http://127.0.0.1:{options.port}"
        api = await stack.enter_async_context(
            _child(
                "api", conectafy_command("api"), api_env(options, dsn, kube_url, data_dir), logs / "api.log"
            )
        )
        await _wait(lambda: _api_ready(api_url), api, "the API")
        kubelet = DemoKubelet(server, logs)
        stack.push_async_callback(kubelet.stop_all)
        stack.push_async_callback(_cancel, asyncio.create_task(kubelet.run()))
        operator_argv = conectafy_command("operator", "--all-namespaces", "--standalone")
        operator = await stack.enter_async_context(
            _child(
                "operator", operator_argv, operator_env(options, kube_url, kubeconfig), logs / "operator.log"
            )
        )
        await _wait(lambda: _watching(server), operator, "the operator")
        yield Demo(api_url, kube_url, kubeconfig, data_dir, NAMESPACE, (api, operator), kubelet)
