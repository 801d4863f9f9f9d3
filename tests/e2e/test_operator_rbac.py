"""The operator with the chart's own RBAC: its ServiceAccount's token and the chart's arguments.

The chart is rendered with the real Helm engine; its ServiceAccount, Roles, RoleBindings and KopfPeering
are applied to a fresh namespace (the release namespace), a token is requested for the operator's
ServiceAccount, and `conectafy operator` runs as a subprocess with exactly the Deployment's arguments
(liveness moved to a free local port). Every refusal would show as a 403 in its log, and kopf would
retry refused requests for about 80 s before reconciling anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import kr8s.asyncio
import pytest

from conectafy.session import API_VERSION, PLURAL
from tests.e2e.operator_env import release_sessions
from tests.support.apiserver import (
    APPLY_PATCH,
    FIELD_MANAGER,
    apply_crd,
    call,
    field,
    temporary_namespace,
    wait_crd_served,
)
from tests.support.helm import chart_crds, render_manifests
from tests.support.net import free_port
from tests.support.service_account import request_token, write_kubeconfig

pytestmark = pytest.mark.e2e

#: Seconds from the operator's start to the first session reconciled (status written, children made).
FIRST_RECONCILE_WITHIN = 10.0
#: Seconds the operator keeps running after that, so timers and the peering keep-alive run too.
STEADY_SECONDS = 5.0
#: kind → (api version, plural) of what the test applies from the rendered chart.
APPLIED = {
    "ServiceAccount": ("v1", "serviceaccounts"),
    "Role": ("rbac.authorization.k8s.io/v1", "roles"),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", "rolebindings"),
    "KopfPeering": ("kopf.dev/v1", "kopfpeerings"),
}
CHILDREN = (
    ("v1", "secrets"),
    ("v1", "persistentvolumeclaims"),
    ("apps/v1", "deployments"),
    ("v1", "services"),
)
CRDS = ("apiextensions.k8s.io/v1", "customresourcedefinitions")
REFUSAL = re.compile(r"\b403\b|forbidden", re.IGNORECASE)


async def _apply(api: kr8s.asyncio.Api, manifest: dict[str, Any]) -> None:
    version, plural = APPLIED.get(manifest["kind"]) or CRDS
    meta = manifest["metadata"]
    response = await call(
        api,
        "PATCH",
        version,
        f"{plural}/{meta['name']}",
        namespace=meta.get("namespace"),
        body=manifest,
        content_type=APPLY_PATCH,
        params={"fieldManager": FIELD_MANAGER, "force": "true"},
    )
    assert response.status_code in (200, 201), response.text




def operator_object(manifests: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """The chart's one object of `kind` that belongs to the operator (named `<release>-operator`)."""
    (found,) = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"].endswith("-operator")]
    return found


def chart_operator_args(manifests: list[dict[str, Any]]) -> list[str]:
    """The operator container's arguments as the chart renders them; liveness on a free local port."""
    (container,) = operator_object(manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    liveness = f"--liveness=http://127.0.0.1:{free_port()}/healthz"
    return [liveness if arg.startswith("--liveness=") else arg for arg in container["args"]]


@pytest.fixture
async def api() -> kr8s.asyncio.Api:
    client = await kr8s.asyncio.api()
    await apply_crd(client)
    return client


@pytest.fixture
async def release(api: kr8s.asyncio.Api) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A fresh release namespace holding the chart's RBAC and peering object; (namespace, manifests)."""
    async with temporary_namespace(api, "conectafy-e2e-rbac") as namespace:
        for crd in chart_crds():  # kopf's peering CRDs, as `helm install` puts them first
            await _apply(api, crd)
            await wait_crd_served(api, crd)
        manifests = render_manifests({"crds": {"install": False}}, namespace=namespace)
        for manifest in manifests:
            if manifest["kind"] in APPLIED:
                await _apply(api, manifest)
        try:
            yield namespace, manifests
        finally:
            await release_sessions(api, namespace)


@contextlib.contextmanager
def running_operator(args: list[str], kubeconfig: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`conectafy ARGS` as its own process (as in the pod), output to `log`; stopped with SIGTERM."""
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "CONECTAFY_WAHA_URL_TEMPLATE": "http://127.0.0.1:9/{name}",  # no WAHA runs: no pod is started
        "CONECTAFY_DRIFT_CHECK_INTERVAL": "1",
    }
    command = [sys.executable, "-c", "from conectafy.cli import main; main()", *args]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _reconciled(api: kr8s.asyncio.Api, namespace: str, name: str) -> bool:
    session = await call(api, "GET", API_VERSION, f"{PLURAL}/{name}", namespace=namespace)
    if not field(session.json(), "status", "phase"):
        return False
    for version, plural in CHILDREN:
        if (await call(api, "GET", version, f"{plural}/waha-{name}", namespace=namespace)).status_code != 200:
            return False
    return True


async def test_operator_runs_with_the_charts_rbac_without_refusals(
    api: kr8s.asyncio.Api, release: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    namespace, manifests = release
    name = f"rbac-{secrets.token_hex(3)}"
    session = {"apiVersion": API_VERSION, "kind": "WhatsAppSession", "metadata": {"name": name}, "spec": {}}
    created = await call(api, "POST", API_VERSION, PLURAL, namespace=namespace, body=session)
    assert created.status_code == 201, created.text
    account = operator_object(manifests, "ServiceAccount")["metadata"]["name"]
    token = await request_token(api, namespace, account)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", token, namespace)
    args = chart_operator_args(manifests)
    log = tmp_path / "operator.log"
    loop = asyncio.get_running_loop()
    with running_operator(args, kubeconfig, log):
        started = loop.time()
        while not await _reconciled(api, namespace, name):
            assert loop.time() - started < FIRST_RECONCILE_WITHIN, f"not reconciled; log:\n{log.read_text()}"
            await asyncio.sleep(0.2)
        first_reconcile = loop.time() - started
        await asyncio.sleep(STEADY_SECONDS)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    refused = [line for line in lines if REFUSAL.search(f"{line.get('event')} {line.get('exception', '')}")]
    requests = [line for line in lines if line.get("logger") == "httpx" and line.get("level") == "info"]
    assert (args[0], refused, requests) == ("operator", [], []), log.read_text()
    assert first_reconcile < FIRST_RECONCILE_WITHIN
