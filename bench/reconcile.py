"""How fast the operator turns N WhatsAppSessions into their children, and what it costs.

    python bench/reconcile.py [--sessions 200] [--target kmock|cluster]

The operator runs as it does in production — `conectafy operator` in its own process — so its peak RSS
(sampled with psutil) is the operator's alone. Target `kmock` (default) serves the Kubernetes API from
kmock in this process and counts every request the operator made; target `cluster` uses the cluster
in KUBECONFIG (a fresh namespace, deleted afterwards; the CRD from crds/ is applied) and cannot count
requests. WAHA is never reached here (no pod becomes ready), so this measures Kubernetes work only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conectafy.session import API_VERSION, GROUP, KIND, PLURAL, VERSION  # noqa: E402

CHILD_PLURALS = {"secrets": "v1", "persistentvolumeclaims": "v1", "deployments": "apps/v1", "services": "v1"}
CountChildren = Callable[[], Awaitable[int]]


def session(name: str, namespace: str) -> dict[str, object]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"engine": "GOWS"},
    }


@contextlib.contextmanager
def operator_process(kubeconfig: str, scope: list[str], log: Path | None) -> Iterator[psutil.Popen]:
    """`conectafy operator` as deployed; WAHA points at a closed port on 127.0.0.1 (never reached)."""
    env = {
        **os.environ,
        "KUBECONFIG": kubeconfig,
        "CONECTAFY_WAHA_URL_TEMPLATE": "http://127.0.0.1:9",
        "CONECTAFY_LOG_FORMAT": "json",
    }
    cli = "from conectafy.cli import main; main()"
    command = [sys.executable, "-c", cli, "operator", "--standalone", *scope]
    output = log.open("wb") if log else subprocess.DEVNULL
    process = psutil.Popen(command, env=env, stdout=output, stderr=output)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except psutil.TimeoutExpired:
            process.kill()
        if log:
            output.close()  # type: ignore[union-attr]


async def measure(process: psutil.Popen, total: int, count: CountChildren, limit: float) -> tuple[float, int]:
    """Seconds until `count()` reaches `total`, and the operator's peak RSS meanwhile (bytes)."""
    started, peak = time.monotonic(), 0
    while True:
        peak = max(peak, process.memory_info().rss)
        if await count() >= total:
            return time.monotonic() - started, peak
        if time.monotonic() - started > limit:
            raise SystemExit(f"not every child exists after {limit:.0f} s ({await count()}/{total})")
        if process.poll() is not None:
            raise SystemExit(f"the operator exited with code {process.returncode}")
        await asyncio.sleep(0.1)


async def run_kmock(sessions: int, limit: float, log: Path | None) -> dict[str, str]:
    import aiohttp
    import kmock

    from tests.operator.kopf_harness import (
        ApiServerEmulator,
        declare_resources,
        watching_sessions,
        write_kubeconfig,
    )

    namespace = "bench"
    tmp = tempfile.TemporaryDirectory()
    async with ApiServerEmulator() as server, kmock.Server(server):
        declare_resources(server)
        kubeconfig = str(write_kubeconfig(Path(tmp.name) / "kubeconfig", str(server.url)))

        async def count() -> int:
            return sum(
                1
                for (resource, _, _), obj in server.objects.items()
                if resource.plural in CHILD_PLURALS and not obj.deleted
            )

        with operator_process(kubeconfig, ["--all-namespaces"], log) as process:
            while True:  # kmock replays existing objects to late watchers: create after the watch starts
                if watching_sessions(server) or process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            server.forget_requests = True
            before = server.request_count
            async with aiohttp.ClientSession(base_url=str(server.url)) as client:
                for index in range(sessions):
                    path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"
                    async with client.post(path, json=session(f"s{index:04d}", namespace)) as response:
                        response.raise_for_status()
            seconds, peak = await measure(process, sessions * len(CHILD_PLURALS), count, limit)
            requests = server.request_count - before - sessions
    tmp.cleanup()
    return {"seconds": f"{seconds:.1f}", "rss": f"{peak / 2**20:.0f}", "requests": str(requests)}


async def run_cluster(sessions: int, limit: float, log: Path | None) -> dict[str, str]:
    import kr8s.asyncio
    import yaml

    api = await kr8s.asyncio.api()
    crd = yaml.safe_load((ROOT / "crds" / "whatsappsessions.conectafy.io.yaml").read_text())
    async with api.call_api(
        "PATCH",
        version="apiextensions.k8s.io/v1",
        url=f"customresourcedefinitions/{crd['metadata']['name']}",
        params={"fieldManager": "conectafy-bench", "force": "true"},
        headers={"Content-Type": "application/apply-patch+yaml"},
        content=json.dumps(crd),
    ):
        pass
    namespace = f"conectafy-bench-{secrets.token_hex(3)}"
    async with api.call_api(
        "POST", version="v1", url="namespaces", content=json.dumps({"metadata": {"name": namespace}})
    ):
        pass

    selector = {"labelSelector": "app.kubernetes.io/managed-by=conectafy-operator"}

    async def count() -> int:
        total = 0
        for plural, version in CHILD_PLURALS.items():
            async with api.call_api(
                "GET", version=version, namespace=namespace, url=plural, params=selector
            ) as r:
                total += len(r.json()["items"])
        return total

    kubeconfig = os.environ.get("KUBECONFIG", str(Path.home() / ".kube" / "config"))
    try:
        with operator_process(kubeconfig, ["--namespace", namespace], log) as process:
            for index in range(sessions):
                async with api.call_api(
                    "POST",
                    version=f"{GROUP}/{VERSION}",
                    namespace=namespace,
                    url=PLURAL,
                    content=json.dumps(session(f"s{index:04d}", namespace)),
                ):
                    pass
            seconds, peak = await measure(process, sessions * len(CHILD_PLURALS), count, limit)
    finally:
        async with api.call_api("DELETE", version="v1", url=f"namespaces/{namespace}"):
            pass
    return {"seconds": f"{seconds:.1f}", "rss": f"{peak / 2**20:.0f}", "requests": "n/a"}


def print_table(target: str, sessions: int, result: dict[str, str]) -> None:
    rows = [
        ("target", target),
        ("sessions", str(sessions)),
        ("children", str(sessions * len(CHILD_PLURALS))),
        ("seconds until every child exists", result["seconds"]),
        ("operator peak RSS (MiB)", result["rss"]),
        ("API requests by the operator", result["requests"]),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"{'metric'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 8}")
    for label, value in rows:
        print(f"{label.ljust(width)} | {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--target", choices=["kmock", "cluster"], default="kmock")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    parser.add_argument("--operator-log", type=Path, default=None, help="write the operator's log here")
    args = parser.parse_args()
    runner = run_kmock if args.target == "kmock" else run_cluster
    result = asyncio.run(runner(args.sessions, args.timeout, args.operator_log))
    print_table(args.target, args.sessions, result)


if __name__ == "__main__":
    main()
