"""The operator drill: `conectafy operator` (its own process) is SIGKILLed while reconciling N sessions,
then started again; it must converge to exactly the children each session owns, with every session's
WAHA started once and never restarted again.

The operator runs against the demo's Kubernetes API server (kmock) and a kubelet
(tests/drills/waha_pods.py) that runs each WAHA Deployment's container: the WAHA simulator configured
from the Deployment's environment, which the operator reaches over HTTP at its Service's address.
The drill plays each session's phone: it scans the QR once WAHA shows one, so sessions reach WORKING
(and Connected) — the state the restarted operator must leave alone.

Counts, in the drill table's terms: `sent` = sessions, `stored` = sessions with all four children
(Secret, PVC, Deployment, Service), WAHA WORKING and the session Connected; `lost` = the others;
`duplicated` = children beyond four per session (a child under a second name); `double_restarts` =
WAHA session starts beyond one per session, over all its containers (WAHA's boot with
WHATSAPP_START_SESSION starts it once; a start, restart, logout or config update through WAHA's API,
or a pod roll, would start it again — the simulator counts each).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path

import httpx
import kmock

from conectafy.demo.apiserver import SESSIONS, write_kubeconfig
from conectafy.demo.kubeapi import DemoApiServer, declare_demo_resources, live_objects
from conectafy.operator.identity import CHILD_PREFIX
from conectafy.session import API_VERSION, GROUP, KIND, PLURAL, VERSION, Phase
from conectafy.simulator.runner import serve
from conectafy.waha.status import WahaStatus
from tests.drills.harness import DrillResult, until
from tests.drills.waha_pods import WAHA_URL_TEMPLATE, SimKubelet, services

CHILDREN = ("secrets", "persistentvolumeclaims", "deployments", "services")
NAMESPACE = "drill"
POLL_SECONDS = 5  # the operator reads each WAHA this often (the demo's interval)


def _start(kubeconfig: str, waha_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KUBECONFIG": kubeconfig, "CONECTAFY_WAHA_URL_TEMPLATE": waha_url,
           "CONECTAFY_WEBHOOK_URL_TEMPLATE": "", "CONECTAFY_STATUS_POLL_INTERVAL": str(POLL_SECONDS),
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


def _children(server: DemoApiServer) -> Counter[str]:
    """Live children per session, by the name each child carries (`waha-<session>`): the Secret has no
    owner reference, and the Deployment and Service are co-owned by it, so owners do not count them."""
    owners: Counter[str] = Counter()
    for (resource, _, name), obj in list(server.objects.items()):
        if resource.plural in CHILDREN and not obj.deleted and name.startswith(CHILD_PREFIX):
            owners[name.removeprefix(CHILD_PREFIX)] += 1
    return owners


def _working(kubelet: SimKubelet) -> set[str]:
    """Sessions whose WAHA is WORKING now."""
    return {
        name.removeprefix(CHILD_PREFIX)
        for name, sim in kubelet.sims().items()
        if sim.session.status is WahaStatus.WORKING
    }


def _connected(server: DemoApiServer) -> set[str]:
    return {
        name
        for (_, name), obj in live_objects(server, SESSIONS).items()
        if (obj.get("status") or {}).get("phase") == Phase.CONNECTED
    }


def _complete(server: DemoApiServer, kubelet: SimKubelet) -> set[str]:
    """Sessions with their four children, WAHA WORKING and the session Connected."""
    owners = _children(server)
    whole = {name for name, count in owners.items() if count >= len(CHILDREN)}
    return whole & _working(kubelet) & _connected(server)


async def _phone(kubelet: SimKubelet) -> None:
    """Each session's phone scans the QR as soon as WAHA shows one (a number per session)."""
    while True:
        for index, (name, sim) in enumerate(sorted(kubelet.sims().items())):
            if sim.session.status is WahaStatus.SCAN_QR_CODE:
                sim.session.scan(f"1555{index:07d}", name)
        await asyncio.sleep(0.1)


async def _create_sessions(server: DemoApiServer, count: int) -> None:
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}"
    async with httpx.AsyncClient(base_url=str(server.url)) as client:
        for index in range(count):
            meta = {"name": f"s{index:04d}", "namespace": NAMESPACE}
            body = {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": {"engine": "GOWS"}}
            (await client.post(path, json=body)).raise_for_status()


async def _true(value: bool) -> bool:
    return value


@contextlib.asynccontextmanager
async def _beside(*work: Coroutine[None, None, None]) -> AsyncIterator[None]:
    """Run `work` in the background for the block, cancelled (and awaited) after it."""
    tasks = [asyncio.create_task(job) for job in work]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def operator_sigkill(sessions: int, *, within: float = 300.0) -> DrillResult:
    """SIGKILL the operator once half the sessions are WORKING, start it again, wait for convergence
    (what exists after `within` seconds is reported, converged or not)."""
    with tempfile.TemporaryDirectory(prefix="conectafy-drill-op-") as folder:
        async with DemoApiServer() as server, kmock.Server(server):
            declare_demo_resources(server)
            kube_url = str(server.url).rstrip("/")
            kubeconfig = str(write_kubeconfig(Path(folder) / "kubeconfig", kube_url, NAMESPACE))
            kubelet = SimKubelet(server, NAMESPACE)
            async with serve(services(kubelet)) as base, _beside(kubelet.run(), _phone(kubelet)):
                waha_url = WAHA_URL_TEMPLATE.format(base=base)
                return await _drill(server, kubelet, (kubeconfig, waha_url), sessions, within)


async def _drill(
    server: DemoApiServer, kubelet: SimKubelet, kube: tuple[str, str], sessions: int, within: float
) -> DrillResult:
    process = _start(*kube)
    try:
        watch = f"/apis/{API_VERSION}/{PLURAL}"
        await until(lambda: _true(watch in server.watched), 60, "the operator watches sessions")
        await _create_sessions(server, sessions)
        half = sessions // 2
        await until(lambda: _true(len(_working(kubelet)) >= half), within, "half the sessions WORKING")
        process.send_signal(signal.SIGKILL)
        process.wait()
        at_kill = f"killed with {len(_working(kubelet))} WORKING, {sum(_children(server).values())} children"
        started = time.monotonic()
        process = _start(*kube)
        note = ""
        try:
            await until(lambda: _true(len(_complete(server, kubelet)) >= sessions), within, "every session")
        except TimeoutError:
            note = f"NOT converged within {within:.0f} s; "
        recovery = time.monotonic() - started
        await asyncio.sleep(2 * POLL_SECONDS)  # every WAHA read again: a late restart would show now
        complete = _complete(server, kubelet)
    finally:
        await asyncio.to_thread(_stop, process)
    return _result(server, kubelet, sessions, complete, recovery, note + at_kill)


def _result(
    server: DemoApiServer, kubelet: SimKubelet, sessions: int, complete: set[str], recovery: float, note: str
) -> DrillResult:
    names = [f"s{index:04d}" for index in range(sessions)]
    starts = [kubelet.starts(CHILD_PREFIX + name) for name in names]
    rolls = sum(max(len(kubelet.history.get(CHILD_PREFIX + name, [])) - 1, 0) for name in names)
    extra = sum(max(count - len(CHILDREN), 0) for count in _children(server).values())
    note += f"; WAHA starts {sum(starts)} ({starts.count(0)} never started), pod rolls {rolls}"
    done = len(complete)
    return DrillResult(
        "operator SIGKILLed mid-reconcile, restarted", sessions, done, sessions - done, extra,
        round(recovery, 1), note, double_restarts=sum(max(count - 1, 0) for count in starts),
    )  # fmt: skip
