"""What the operator costs for N WhatsAppSessions: time until every child exists, then at rest.

    python bench/reconcile.py [--sessions 500] [--target kmock|cluster] [--idle 60] [--profile FILE]

The operator runs as in production — `conectafy operator` in its own process, default intervals — so
its RSS and CPU (psutil) are its alone. Two phases:

1. converge: N sessions are created at once (the clock starts before the first one: the operator works
   while they are created); children are counted cheaply (kmock: in memory; a cluster: one metadata-only
   list per kind every 1.5 s) until all 4·N exist;
2. idle: after a settling pause (every session's jittered first timer tick has passed), `--idle`
   seconds with nothing changing: the operator's Kubernetes requests per second and its CPU share.

Target `kmock` serves the API from this process and counts every request the operator makes. Target
`cluster` uses KUBECONFIG (a fresh namespace, deleted afterwards) and runs the operator as its own
ServiceAccount (cluster-admin in that namespace only, a TokenRequest token) with a FlowSchema of its
own, so `apiserver_flowcontrol_dispatched_requests_total` counts its requests exactly
(`cluster_identity.py`); without the rights for that, it falls back to `apiserver_request_total`,
which has no client label and so also counts everyone else (an upper bound). WAHA is never reached (no pod
becomes ready), so this measures Kubernetes work only. `--profile` runs the operator under cProfile
and reports where its CPU time went (httpcore's pool queue scan is the symptom of unbounded requests).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after the stdlib: ./operator must never shadow `operator`

import cluster_identity  # noqa: E402 - bench/, the script's own folder

from conectafy.session import API_VERSION, GROUP, KIND, PLURAL, VERSION  # noqa: E402
from conectafy.settings import OperatorSettings  # noqa: E402

CHILD_PLURALS = {"secrets": "v1", "persistentvolumeclaims": "v1", "deployments": "apps/v1", "services": "v1"}
COUNTED_RESOURCES = {*CHILD_PLURALS, PLURAL, "events"}
#: The operator's default timer interval; settling waits for every (jittered) first timer tick.
DRIFT_CHECK_INTERVAL: float = OperatorSettings.model_fields["drift_check_interval"].default
Count = Callable[[], Awaitable[int]]


def session(name: str, namespace: str) -> dict[str, object]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"engine": "GOWS"},
    }


@dataclass
class Result:
    converge_seconds: float | None = None
    children: int = 0
    converge_cpu: float = 0.0
    idle_seconds: float = 0.0
    idle_requests: int | None = None
    idle_cpu: float = 0.0
    peak_rss: int = 0
    rest_rss: int = 0
    bench_cpu: float = 0.0  # this process: kmock itself with --target kmock
    load: list[str] = field(default_factory=list)
    profile: list[tuple[str, str]] = field(default_factory=list)
    idle_kinds: list[tuple[str, str]] = field(default_factory=list)


@contextlib.contextmanager
def operator_process(
    kubeconfig: str, scope: list[str], log: Path | None, profile: Path | None
) -> Iterator[psutil.Popen]:
    """`conectafy operator` as deployed; WAHA points at a closed port on 127.0.0.1 (never reached)."""
    env = {**os.environ, "KUBECONFIG": kubeconfig, "CONECTAFY_WAHA_URL_TEMPLATE": "http://127.0.0.1:9"}
    cli = "import sys; from conectafy.cli import main; sys.argv[0] = 'conectafy'; main()"
    args = ["operator", "--standalone", *scope]
    if profile:
        script = Path(tempfile.mkdtemp()) / "operator_main.py"
        script.write_text(cli + "\n")
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), str(script), *args]
    else:
        command = [sys.executable, "-c", cli, *args]
    output = log.open("wb") if log else subprocess.DEVNULL
    process = psutil.Popen(command, env=env, stdout=output, stderr=output, cwd=tempfile.gettempdir())
    try:
        yield process
    finally:
        process.terminate()  # kopf stops gracefully on SIGTERM, so cProfile writes its file
        try:
            process.wait(timeout=90)  # a loaded machine: let cProfile write its file
        except psutil.TimeoutExpired:
            process.kill()
        if log:
            output.close()  # type: ignore[union-attr]


def cpu_seconds(process: psutil.Popen) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


async def converge(
    process: psutil.Popen,
    total: int,
    count: Count,
    limit: float,
    every: float,
    result: Result,
    started: float,
) -> None:
    """Until `count()` reaches `total` (or `limit` seconds after `started` pass), sampling the RSS."""
    while time.monotonic() - started < limit:
        result.peak_rss = max(result.peak_rss, process.memory_info().rss)
        result.children = await count()
        if result.children >= total:
            result.converge_seconds = time.monotonic() - started
            return
        if process.poll() is not None:
            raise SystemExit(f"the operator exited with code {process.returncode}")
        await asyncio.sleep(every)


async def idle(
    process: psutil.Popen, seconds: float, requests: Callable[[], Awaitable[int | None]], result: Result
) -> None:
    """`seconds` with nothing changing: the requests made and the CPU used meanwhile."""
    before, cpu, started = await requests(), cpu_seconds(process), time.monotonic()
    while time.monotonic() - started < seconds:
        result.peak_rss = max(result.peak_rss, process.memory_info().rss)
        await asyncio.sleep(1.0)
    after = await requests()
    result.idle_seconds = time.monotonic() - started
    result.idle_cpu = cpu_seconds(process) - cpu
    result.rest_rss = process.memory_info().rss
    result.idle_requests = None if before is None or after is None else after - before


async def run_kmock(args: argparse.Namespace, result: Result) -> None:
    import aiohttp
    import kmock

    from tests.operator.kopf_harness import (
        ApiServerEmulator,
        declare_resources,
        watching_sessions,
        write_kubeconfig,
    )

    namespace, tmp = "bench", tempfile.TemporaryDirectory()
    async with ApiServerEmulator() as server, kmock.Server(server):
        declare_resources(server)
        kubeconfig = str(write_kubeconfig(Path(tmp.name) / "kubeconfig", str(server.url)))

        async def count() -> int:
            plurals = [resource.plural for (resource, _, _), obj in server.objects.items() if not obj.deleted]
            return sum(1 for plural in plurals if plural in CHILD_PLURALS)

        snapshots: list[collections.Counter[tuple[str, str, str]]] = []

        async def requests() -> int:
            snapshots.append(collections.Counter(server.requests_by_kind))
            return int(server.request_count)

        with operator_process(kubeconfig, ["--all-namespaces"], args.operator_log, args.profile) as process:
            while True:  # kmock replays existing objects to late watchers: create after the watch starts
                if watching_sessions(server) or process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            server.forget_requests = True

            async def create() -> None:
                async with aiohttp.ClientSession(base_url=str(server.url)) as client:
                    for index in range(args.sessions):
                        path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"
                        async with client.post(path, json=session(f"s{index:04d}", namespace)) as response:
                            response.raise_for_status()

            await phases(process, args, count, requests, 0.5, result, create)
    if len(snapshots) == 2:
        at_rest = (snapshots[1] - snapshots[0]).most_common(4)
        result.idle_kinds = [(f"idle: {' '.join(kind).strip()}", str(n)) for kind, n in at_rest]
    tmp.cleanup()


async def phases(
    process: psutil.Popen,
    args: argparse.Namespace,
    count: Count,
    requests: Callable[[], Awaitable[int | None]],
    every: float,
    result: Result,
    create: Callable[[], Awaitable[None]],
) -> None:
    """The clock starts before the first session is created: the operator works while they are."""
    result.load.append(load())
    cpu, started = cpu_seconds(process), time.monotonic()
    own = time.process_time()
    await create()
    total = args.sessions * len(CHILD_PLURALS)
    await converge(process, total, count, args.timeout, every, result, started)
    result.converge_cpu = cpu_seconds(process) - cpu
    result.bench_cpu = time.process_time() - own
    result.load.append(load())
    if result.converge_seconds is None:
        return
    await asyncio.sleep(args.settle)
    await idle(process, args.idle, requests, result)
    result.load.append(load())


async def run_cluster(args: argparse.Namespace, result: Result) -> None:
    import kr8s
    import kr8s.asyncio
    import yaml

    api = await kr8s.asyncio.api()
    crd = yaml.safe_load((ROOT / "crds" / "whatsappsessions.conectafy.io.yaml").read_text())
    apply = {"fieldManager": "conectafy-bench", "force": "true"}
    headers = {"Content-Type": "application/apply-patch+yaml"}
    url = f"customresourcedefinitions/{crd['metadata']['name']}"
    async with api.call_api(
        "PATCH",
        version="apiextensions.k8s.io/v1",
        url=url,
        params=apply,
        headers=headers,
        content=json.dumps(crd),
    ):
        pass
    namespace = f"conectafy-bench-{secrets.token_hex(3)}"
    async with api.call_api(
        "POST", version="v1", url="namespaces", content=json.dumps({"metadata": {"name": namespace}})
    ):
        pass
    kubeconfig = Path(os.environ.get("KUBECONFIG", str(Path.home() / ".kube" / "config")))
    operator_kubeconfig, schema = str(kubeconfig), None
    try:  # the operator as its own ServiceAccount, counted exactly by its FlowSchema
        own = Path(tempfile.mkdtemp()) / "operator-kubeconfig"
        schema = await cluster_identity.create(api, namespace, kubeconfig, own)
        operator_kubeconfig = str(own)
    except kr8s.ServerError as error:  # no rights to create them: the admin identity, an upper bound
        print(f"counting with apiserver_request_total (an upper bound): {error}", file=sys.stderr)
    partial = {"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"}
    selector = {"labelSelector": "app.kubernetes.io/managed-by=conectafy-operator"}

    async def count() -> int:
        total = 0
        for plural, version in CHILD_PLURALS.items():
            async with api.call_api(
                "GET", version=version, namespace=namespace, url=plural, params=selector, headers=partial
            ) as r:
                total += len(r.json().get("items") or [])
        return total

    async def requests() -> int | None:
        try:
            response = await api._session.get("/metrics")  # kr8s builds only /api… and /apis… URLs
        except (kr8s.ServerError, AttributeError):
            return None
        if response.status_code != 200:  # 403: not allowed
            return None
        if schema is not None:
            return cluster_identity.dispatched(response.text, schema)
        return apiserver_requests(response.text)

    try:
        with operator_process(
            operator_kubeconfig, ["--namespace", namespace], args.operator_log, args.profile
        ) as process:

            async def create() -> None:
                for index in range(args.sessions):
                    body = json.dumps(session(f"s{index:04d}", namespace))
                    async with api.call_api(
                        "POST", version=f"{GROUP}/{VERSION}", namespace=namespace, url=PLURAL, content=body
                    ):
                        pass

            await phases(process, args, count, requests, 1.5, result, create)
    finally:
        await release_and_delete(api, namespace)
        if schema is not None:
            await cluster_identity.delete(api, schema)


async def release_and_delete(api: Any, namespace: str) -> None:
    """The operator is stopped: release the sessions' finalizers, or the namespace would hang deleting."""
    version = f"{GROUP}/{VERSION}"
    async with api.call_api("GET", version=version, namespace=namespace, url=PLURAL) as r:
        names = [item["metadata"]["name"] for item in r.json().get("items") or []]
    release = json.dumps({"metadata": {"finalizers": None}})
    merge = {"Content-Type": "application/merge-patch+json"}
    for name in names:
        async with api.call_api(
            "PATCH",
            version=version,
            namespace=namespace,
            url=f"{PLURAL}/{name}",
            headers=merge,
            content=release,
        ):
            pass
    async with api.call_api("DELETE", version="v1", url=f"namespaces/{namespace}"):
        pass
    await namespace_gone(api, namespace)


#: How long the end of a cluster run waits for its namespace to be gone.
NAMESPACE_DELETION_WAIT = 600.0


async def namespace_gone(api: Any, namespace: str) -> None:
    """Deleting 500 sessions' namespace takes the namespace controller and the garbage collector a
    minute or more; a next run started meanwhile would share the control plane with that work."""
    import kr8s

    deadline = time.monotonic() + NAMESPACE_DELETION_WAIT
    while time.monotonic() < deadline:
        try:
            async with api.call_api("GET", version="v1", url=f"namespaces/{namespace}"):
                pass
        except kr8s.ServerError as error:
            if error.response is not None and error.response.status_code == 404:
                return
            raise
        await asyncio.sleep(2)
    print(f"warning: namespace {namespace} is still being deleted", file=sys.stderr)


def apiserver_requests(metrics: str) -> int:
    """Non-watch requests for the kinds the operator touches, from `apiserver_request_total`."""
    total = 0
    for line in metrics.splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels, _, value = line.rpartition(" ")
        fields = dict(
            part.split("=", 1)
            for part in labels[len("apiserver_request_total{") : -1].split(",")
            if "=" in part
        )
        resource, verb = fields.get("resource", "").strip('"'), fields.get("verb", "").strip('"')
        if resource in COUNTED_RESOURCES and verb != "WATCH":
            total += int(float(value))
    return total


def profile_rows(path: Path) -> list[tuple[str, str]]:
    """Share of the operator's profiled time in httpcore's pool queue scan, and the top functions."""
    stats = pstats.Stats(str(path))
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values()) or 1.0
    assign = sum(
        entry[3] for (_, _, name), entry in entries.items() if name == "_assign_requests_to_connections"
    )
    rows = [("time in httpcore _assign_requests_to_connections", f"{100 * assign / total:.1f} %")]
    top = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:5]
    for (filename, _, name), entry in top:
        rows.append((f"top self time: {Path(filename).name}:{name}", f"{100 * entry[2] / total:.1f} %"))
    return rows


def print_table(args: argparse.Namespace, result: Result) -> None:
    converged = "not reached" if result.converge_seconds is None else f"{result.converge_seconds:.1f}"
    idle_rate = (
        "n/a"
        if result.idle_requests is None or not result.idle_seconds
        else f"{result.idle_requests / result.idle_seconds:.2f}"
    )
    idle_cpu = f"{100 * result.idle_cpu / result.idle_seconds:.1f} %" if result.idle_seconds else "n/a"
    rows = [
        ("target", args.target),
        ("sessions", str(args.sessions)),
        ("children existing / expected", f"{result.children} / {args.sessions * len(CHILD_PLURALS)}"),
        ("seconds until every child exists", converged),
        ("operator CPU seconds while converging", f"{result.converge_cpu:.1f}"),
        ("bench process CPU seconds meanwhile (kmock: the API server)", f"{result.bench_cpu:.1f}"),
        ("operator peak RSS (MiB)", f"{result.peak_rss / 2**20:.0f}"),
        ("operator RSS at the end of the idle phase (MiB)", f"{result.rest_rss / 2**20:.0f}"),
        (f"idle: Kubernetes requests/s over {result.idle_seconds:.0f} s", idle_rate),
        ("idle: operator CPU (share of one core)", idle_cpu),
        ("load average at start / converged / end", " | ".join(result.load)),
        *result.idle_kinds,
        *result.profile,
    ]
    width = max(len(label) for label, _ in rows)
    print(f"{'metric'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 8}")
    for label, value in rows:
        print(f"{label.ljust(width)} | {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--target", choices=["kmock", "cluster"], default="kmock")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="give up converging after this many seconds"
    )
    parser.add_argument(
        "--settle", type=float, default=1.5 * DRIFT_CHECK_INTERVAL, help="pause before the idle phase"
    )
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of the idle phase")
    parser.add_argument("--operator-log", type=Path, default=None, help="write the operator's log here")
    parser.add_argument("--profile", type=Path, default=None, help="profile the operator into this file")
    args = parser.parse_args()
    result = Result()
    asyncio.run((run_kmock if args.target == "kmock" else run_cluster)(args, result))
    if args.profile and args.profile.exists():
        result.profile = profile_rows(args.profile)
    print_table(args, result)


if __name__ == "__main__":
    main()
