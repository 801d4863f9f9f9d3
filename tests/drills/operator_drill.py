"""The operator drill: `conectafy operator` (its own process) is SIGKILLed while reconciling N sessions
served by kmock, then started again; it must converge to exactly the children each session owns.

Counts, in the drill table's terms: `sent` = sessions, `stored` = sessions with all four children
(Secret, PVC, Deployment, Service), `lost` = sessions without them, `duplicated` = children beyond four
per session (a child under a second name). No WAHA pod becomes ready under kmock, so WAHA itself is
never called here (restarts through WAHA are not part of this drill).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import kmock

from conectafy.operator.identity import CHILD_PREFIX as CHILD_NAME_PREFIX
from conectafy.session import API_VERSION, GROUP, KIND, PLURAL, VERSION
from tests.drills.harness import DrillResult, until
from tests.operator.kopf_harness import (
    ApiServerEmulator,
    declare_resources,
    watching_sessions,
    write_kubeconfig,
)

CHILDREN = ("secrets", "persistentvolumeclaims", "deployments", "services")
CHILD_PREFIX = CHILD_NAME_PREFIX  # every child of session S is named waha-S
NAMESPACE = "drill"


def _start(kubeconfig: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KUBECONFIG": kubeconfig, "CONECTAFY_WAHA_URL_TEMPLATE": "http://127.0.0.1:9",
           "CONECTAFY_LOG_FORMAT": "json", "CONECTAFY_LOG_LEVEL": "WARNING"}  # fmt: skip
    command = [sys.executable, "-c", "from conectafy.cli import main; main()", "operator", "--standalone",
               "--all-namespaces"]  # fmt: skip
    return subprocess.Popen(
        command, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _children(server: ApiServerEmulator) -> Counter[str]:
    """Live children per session, by the name each child carries (`waha-<session>`): the Secret has no
    owner reference, and the Deployment and Service are co-owned by it, so owners do not count them."""
    owners: Counter[str] = Counter()
    for (resource, _, name), obj in list(server.objects.items()):
        if resource.plural in CHILDREN and not obj.deleted and name.startswith(CHILD_PREFIX):
            owners[name.removeprefix(CHILD_PREFIX)] += 1
    return owners


async def _create_sessions(server: ApiServerEmulator, count: int) -> None:
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}"
    async with aiohttp.ClientSession(base_url=str(server.url)) as client:
        for index in range(count):
            meta = {"name": f"s{index:04d}", "namespace": NAMESPACE}
            body = {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": {"engine": "GOWS"}}
            async with client.post(path, json=body) as response:
                response.raise_for_status()


async def operator_sigkill(sessions: int, *, within: float = 300.0) -> DrillResult:
    """SIGKILL the operator once half the children exist, start it again, wait for convergence (what
    exists after `within` seconds is reported, converged or not)."""
    with tempfile.TemporaryDirectory(prefix="conectafy-drill-op-") as folder:
        async with ApiServerEmulator() as server, kmock.Server(server):
            declare_resources(server)
            kubeconfig = str(write_kubeconfig(Path(folder) / "kubeconfig", str(server.url)))
            process = _start(kubeconfig)
            try:
                await until(lambda: _true(watching_sessions(server)), 60, "the operator watches sessions")
                server.forget_requests = True
                await _create_sessions(server, sessions)
                half = sessions * len(CHILDREN) // 2
                await until(lambda: _true(sum(_children(server).values()) >= half), 300, "half the children")
                process.send_signal(signal.SIGKILL)
                process.wait()
                started = time.monotonic()
                process = _start(kubeconfig)
                total = sessions * len(CHILDREN)
                note = "sessions/children; WAHA not reached under kmock"

                async def converged() -> bool:
                    return sum(_children(server).values()) >= total

                try:
                    await until(converged, within, "every child")
                except TimeoutError:
                    note = f"NOT converged within {within:.0f} s; " + note
                recovery = time.monotonic() - started
                await asyncio.sleep(3)  # a late duplicate would show up now
            finally:
                _stop(process)
            owners = _children(server)
    complete = sum(1 for name in owners if owners[name] >= len(CHILDREN))
    extra = sum(max(count - len(CHILDREN), 0) for count in owners.values())
    return DrillResult(
        "operator SIGKILLed mid-reconcile, restarted", sessions, complete, sessions - complete, extra,
        round(recovery, 1), note,
    )  # fmt: skip


async def _true(value: bool) -> bool:
    return value
