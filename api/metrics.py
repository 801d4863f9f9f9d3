"""Every Prometheus metric of the API, on one registry served at /metrics. Add new metrics here."""

from __future__ import annotations

from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

REGISTRY = CollectorRegistry(auto_describe=True)
_Metric = TypeVar("_Metric", bound=MetricWrapperBase)


class Children(Generic[_Metric]):
    """`metric.labels(*values)`, remembered: `labels()` checks its arguments and takes a lock on every
    call (1.3 µs), and each webhook delivery asks for four children (issue 13). Remembers at most
    `limit` label tuples, since some values are a sender's text (an event name, a method). Children
    the metric's own `clear()` dropped would still be handed out: clear with `reset()`."""

    def __init__(self, metric: _Metric, limit: int = 1024) -> None:
        self._metric = metric
        self._limit = limit
        self._known: dict[tuple[str, ...], _Metric] = {}

    def __call__(self, *values: str) -> _Metric:
        child = self._known.get(values)
        if child is None:
            child = self._metric.labels(*values)
            if len(self._known) < self._limit:
                self._known[values] = child
        return child

    def reset(self) -> None:
        """Forget every child, the metric's series included."""
        self._metric.clear()
        self._known.clear()


HTTP_REQUESTS = Counter(
    "conectafy_api_http_requests_total",
    "HTTP requests by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "conectafy_api_http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    registry=REGISTRY,
)
LOGIN_ATTEMPTS = Counter(
    "conectafy_api_login_attempts_total",
    "Login attempts by result (success, invalid, rate_limited).",
    ["result"],
    registry=REGISTRY,
)

# --- data plane: webhook ingestion and live events ----------------------------------------------------
WEBHOOK_DELIVERIES = Counter(
    "conectafy_api_webhook_deliveries_total",
    "WAHA webhook deliveries by event and outcome (stored, duplicate, ignored, unknown_session, invalid, "
    "dead_lettered).",
    ["event", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_LATENCY = Histogram(
    "conectafy_api_webhook_ingest_duration_seconds",
    "Time from a verified delivery to its committed rows, by event.",
    ["event"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
WEBHOOK_REJECTED_SIGNATURES = Counter(
    "conectafy_api_webhook_rejected_signatures_total",
    "Webhook deliveries refused with 401: unsigned, wrong algorithm or forged.",
    registry=REGISTRY,
)
SSE_CLIENTS = Gauge(
    "conectafy_api_sse_clients",
    "Open live-event (SSE) streams on this API process.",
    registry=REGISTRY,
)
LIVE_EVENTS_SENT = Counter(
    "conectafy_api_live_events_sent_total",
    "Live events written to SSE streams, by type (replays after Last-Event-ID included).",
    ["type"],
    registry=REGISTRY,
)

# --- media copies and retention -------------------------------------------------------------------------
MEDIA_COPIES = Counter(
    "conectafy_api_media_copies_total",
    "Media files copied to S3-compatible storage, by outcome (copied, failed; failures are retried).",
    ["outcome"],
    registry=REGISTRY,
)
RETENTION_DELETED = Counter(
    "conectafy_api_retention_deleted_rows_total",
    "Rows deleted by data retention, by table (events, webhook_deliveries, session_tombstones).",
    ["table"],
    registry=REGISTRY,
)

# --- the session projection (issue 10) -------------------------------------------------------------------
SESSION_PROJECTION_WRITES = Counter(
    "conectafy_api_session_projection_writes_total",
    "Session rows written by the projection of WhatsAppSession resources, by outcome (changed, unchanged,"
    " deleted, failed; failed writes are retried).",
    ["outcome"],
    registry=REGISTRY,
)
SESSION_PROJECTION_PENDING = Gauge(
    "conectafy_api_session_projection_pending",
    "Session changes seen by this process's watch and not yet written to the database.",
    registry=REGISTRY,
)
SESSIONS_UNKNOWN_OWNER = Gauge(
    "conectafy_api_sessions_unknown_owner",
    "WhatsAppSessions whose conectafy.io/owner label names no user: reconciled, shown to nobody.",
    registry=REGISTRY,
)
BACKGROUND_LEADER = Gauge(
    "conectafy_api_background_leader",
    "1 while this API process holds the advisory lock that makes it run the once-per-cluster work.",
    registry=REGISTRY,
)

# --- operability (issue 12): lags, the database pool ----------------------------------------------------
INGEST_LAG = Histogram(
    "conectafy_api_ingest_lag_seconds",
    "Time from WAHA's message timestamp to its row being committed (new messages only).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
    registry=REGISTRY,
)
MIRROR_LAG = Histogram(
    "conectafy_api_session_mirror_lag_seconds",
    "Time from a WhatsAppSession's last write (managedFields) to its row being updated.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
DB_POOL_IN_USE = Gauge(
    "conectafy_api_db_pool_connections_in_use",
    "Database connections of this process's pool currently lent out.",
    registry=REGISTRY,
)
DB_POOL_WAITING = Gauge(
    "conectafy_api_db_pool_waiting_requests",
    "Requests of this process waiting for a free database connection.",
    registry=REGISTRY,
)
READY = Gauge(
    "conectafy_api_ready",
    "1 when this process's last readiness check (/ready: database and Kubernetes) passed, else 0.",
    registry=REGISTRY,
)


# --- the children the message path asks for on every delivery -------------------------------------------
http_requests = Children(HTTP_REQUESTS)
http_latency = Children(HTTP_LATENCY)
webhook_deliveries = Children(WEBHOOK_DELIVERIES)
webhook_latency = Children(WEBHOOK_LATENCY)
live_events_sent = Children(LIVE_EVENTS_SENT)
