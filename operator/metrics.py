"""Every Prometheus metric of the operator, on one registry served at `--metrics` (docs/reference.md).

Counters and histograms are updated where things happen (a reconcile, a WAHA poll, a healing
decision); Kubernetes requests and child writes are counted through the shared client's request
hook (`instrument`), so the Kubernetes module itself stays free of metrics code. Per-session gauges are
kept by `SessionGauges`: one series per session (its phase and since when), never per message.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from conectafy.kube.client import KubeClient
from conectafy.session import Phase

REGISTRY = CollectorRegistry(auto_describe=True)

SESSIONS = Gauge(
    "conectafy_operator_sessions",
    "WhatsAppSessions this replica reconciles, by namespace and phase.",
    ["namespace", "phase"],
    registry=REGISTRY,
)
PHASE_SINCE = Gauge(
    "conectafy_operator_session_phase_since_timestamp_seconds",
    "Unix time a session entered its current phase (time in phase = time() - value).",
    ["namespace", "session", "phase"],
    registry=REGISTRY,
)
RECONCILE_DURATION = Histogram(
    "conectafy_operator_reconcile_duration_seconds",
    "Time of one reconcile of one session (children, WAHA poll, status).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
RECONCILE_ERRORS = Counter(
    "conectafy_operator_reconcile_errors_total",
    "Reconciles that failed, by reason (kubernetes_api, kubernetes_unreachable, invalid_spec, internal).",
    ["reason"],
    registry=REGISTRY,
)
WAHA_POLL_DURATION = Histogram(
    "conectafy_operator_waha_poll_duration_seconds",
    "Latency of one read of a session's WAHA (answered or not).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
WAHA_POLL_FAILURES = Counter(
    "conectafy_operator_waha_poll_failures_total",
    "Reads of a session's WAHA that got no answer (unreachable, timeout, refused).",
    registry=REGISTRY,
)
RESTARTS = Counter(
    "conectafy_operator_restarts_total",
    "Self-healing restarts, by reason (failed, stuck_starting, stuck_scan_qr, zombie).",
    ["reason"],
    registry=REGISTRY,
)
HEALING_DECISIONS = Counter(
    "conectafy_operator_healing_decisions_total",
    "Self-healing decisions acted on, by decision (restart_session, restart_pod, logout, hold) and reason.",
    ["decision", "reason"],
    registry=REGISTRY,
)
CHILD_WRITES = Counter(
    "conectafy_operator_child_writes_total",
    "Writes (create, patch, delete) of WAHA children, by kind (Deployment, Service, Secret, ...).",
    ["kind"],
    registry=REGISTRY,
)
KUBERNETES_REQUESTS = Counter(
    "conectafy_operator_kubernetes_requests_total",
    "Requests of the reconcile code to the Kubernetes API, by verb (kopf's own watches not included).",
    ["verb"],
    registry=REGISTRY,
)
ACTIVE_PEER = Gauge(
    "conectafy_operator_active_peer",
    "1 when this replica is the active kopf peer (the one reconciling), else 0.",
    registry=REGISTRY,
)

_CHILD_KINDS = {
    "deployments": "Deployment",
    "services": "Service",
    "secrets": "Secret",
    "persistentvolumeclaims": "PersistentVolumeClaim",
}
_VERBS = {"POST": "create", "PATCH": "patch", "PUT": "update", "DELETE": "delete"}


def request_labels(method: str, url: str) -> tuple[str, str | None]:
    """(Kubernetes verb, child kind when it writes a WAHA child) of one REST call (pure)."""
    method = method.upper()
    plural, _, name = url.partition("/")
    verb = _VERBS.get(method) or ("get" if name else "list")
    kind = _CHILD_KINDS.get(plural) if method in _VERBS else None
    return verb, kind


def count_request(method: str, path: str) -> None:
    """One Kubernetes request: by verb, and a child write by kind."""
    verb, kind = request_labels(method, path)
    KUBERNETES_REQUESTS.labels(verb).inc()
    if kind is not None:
        CHILD_WRITES.labels(kind).inc()


def instrument(client: KubeClient) -> None:
    """Count every request of the process's one Kubernetes client (`KubeClient.on_request`)."""
    client.on_request = count_request


class SessionGauges:
    """Sessions by phase and each session's phase start, from the statuses this replica writes."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], tuple[Phase, datetime]] = {}

    def observe(self, namespace: str, name: str, phase: Phase, since: datetime) -> None:
        before = self._sessions.get((namespace, name))
        if before is not None and before[0] is not phase:
            _remove(namespace, name, before[0])
        self._sessions[(namespace, name)] = (phase, since)
        PHASE_SINCE.labels(namespace, name, phase.value).set(since.timestamp())
        self._count(namespace)

    def forget(self, namespace: str, name: str) -> None:
        before = self._sessions.pop((namespace, name), None)
        if before is not None:
            _remove(namespace, name, before[0])
            self._count(namespace)

    def _count(self, namespace: str) -> None:
        """Every phase gets a value (0 included), so `sum by (phase)` never has holes."""
        phases = [phase for (ns, _), (phase, _) in self._sessions.items() if ns == namespace]
        for phase in Phase:
            SESSIONS.labels(namespace, phase.value).set(phases.count(phase))


def _remove(namespace: str, name: str, phase: Phase) -> None:
    with contextlib.suppress(KeyError):
        PHASE_SINCE.remove(namespace, name, phase.value)
