"""The handlers' side of metrics: time and classify reconciles, track phases, serve /metrics.

Kept apart from `handlers` and `reconcile` so each of them needs only a one-line hook.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import kopf
import kr8s

from conectafy.kube import KubeError, KubeUnavailable
from conectafy.operator import metrics, metrics_server
from conectafy.session import Phase

GAUGES = "session_gauges"
RUNNER = "metrics_runner"


@dataclass(frozen=True)
class Serving:
    """Where /metrics is served and which peering object tells whether this replica is active."""

    endpoint: str  # e.g. http://0.0.0.0:9090/metrics
    peering: str | None = None
    namespace: str | None = None  # the first watched namespace; None when cluster-wide


def error_reason(error: BaseException) -> str:
    """The `reason` label of a failed reconcile: a short, bounded set."""
    cause = error.__cause__ or error
    if isinstance(cause, (KubeUnavailable, httpx.HTTPError)):
        return "kubernetes_unreachable"
    if isinstance(cause, (KubeError, kr8s.ServerError)):
        return "kubernetes_api"
    if isinstance(error, kopf.PermanentError):
        return "invalid_spec"
    return "internal"


@contextlib.contextmanager
def reconcile_metrics() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    except Exception as error:
        metrics.RECONCILE_ERRORS.labels(error_reason(error)).inc()
        raise
    finally:
        metrics.RECONCILE_DURATION.observe(time.perf_counter() - started)


def _gauges(memo: Mapping[str, Any]) -> metrics.SessionGauges:
    gauges: metrics.SessionGauges | None = memo.get(GAUGES)
    return gauges if gauges is not None else metrics.SessionGauges()


def session_status(memo: Mapping[str, Any], body: Mapping[str, Any], status: Mapping[str, Any]) -> None:
    """Record the phase this reconcile wrote (and since when) for the per-phase gauges."""
    meta = body.get("metadata", {})
    since = status.get("phaseSince")
    when = (
        datetime.fromisoformat(since.replace("Z", "+00:00")) if isinstance(since, str) else datetime.now(UTC)
    )
    phase = Phase(status.get("phase") or Phase.PENDING.value)
    _gauges(memo).observe(meta.get("namespace", ""), meta.get("name", ""), phase, when)


def forget_session(memo: Mapping[str, Any], namespace: str, name: str) -> None:
    _gauges(memo).forget(namespace, name)


async def start(memo: Any, serving: Serving | None, *, standalone: bool, priority: int) -> None:
    """Count the Kubernetes client's requests; serve /metrics when asked to."""
    kube = memo["clients"].kube
    metrics.instrument(kube)
    memo[GAUGES] = metrics.SessionGauges()
    if serving is None:
        return
    check = metrics_server.PeerCheck(standalone, serving.peering, serving.namespace, priority)
    app = metrics_server.metrics_app(kube, check, metrics_server.metrics_path(serving.endpoint))
    memo[RUNNER] = await metrics_server.serve(app, serving.endpoint)


async def stop(memo: Any) -> None:
    runner = memo.get(RUNNER)
    if runner is not None:
        with contextlib.suppress(asyncio.CancelledError):
            await runner.cleanup()
