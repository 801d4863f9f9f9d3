"""All settings, read from the environment in this one place (prefix `CONECTAFY_`)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorSettings(BaseSettings):
    """How the operator builds WAHA workloads and talks to them. Every field is documented in
    docs/reference.md; the Helm chart sets them."""

    model_config = SettingsConfigDict(env_prefix="CONECTAFY_", extra="ignore")

    waha_image_repository: str = "devlikeapro/waha"
    waha_version: str = Field(
        default="2026.8.2", description="WAHA release; the image tag is <engine>-<version>."
    )
    waha_port: int = 3000
    #: How the operator reaches a session's WAHA. Placeholders: {name}, {namespace}, {service}, {port}.
    #: The default is the Service's in-cluster DNS name; outside the cluster (development) point it at a
    #: port-forward or a simulator, e.g. "http://127.0.0.1:3000".
    waha_url_template: str = "http://{service}.{namespace}.svc:{port}"
    #: Master key the sessions' WAHA API keys and webhook HMAC keys are derived from (shared with the API,
    #: which then reads no Secret). Unset: random keys per session, read by the API from their Secrets.
    session_key_master: SecretStr | None = None
    #: Where WAHA delivers webhooks. Placeholders: {name}, {namespace}. Empty disables webhooks.
    webhook_url_template: str = "http://conectafy-api.{namespace}.svc:8000/webhooks/waha/{namespace}/{name}"
    webhook_retries_policy: str = "exponential"
    webhook_retries_delay_seconds: int = 2
    webhook_retries_attempts: int = 10
    #: Seconds between the safety-net polls of each session's WAHA (webhook nudges make it faster).
    status_poll_interval: float = 60.0
    #: Seconds between each session's level-based timer ticks: a re-check of its children from the watch
    #: caches (no request when nothing drifted) and WAHA's poll when due. A deleted or edited child is
    #: healed at once from its watch event, not by this timer; the timer never runs less often than
    #: status_poll_interval. At 500 sessions, 60 s is ~8 ticks/s of idle work.
    drift_check_interval: float = 60.0
    #: Upper bound of the FAILED→restart backoff, in seconds (1 min, 2 min, 4 min … capped here).
    failed_restart_backoff_base: float = 30.0
    failed_restart_backoff_max: float = 900.0
    #: Self-healing (docs/operations.md): restart a session WAHA reports STARTING for this many seconds.
    stuck_starting_seconds: float = Field(default=600.0, gt=0)
    #: Restart a session that was paired before and has shown a QR (SCAN_QR_CODE) for this many seconds.
    stuck_scan_qr_seconds: float = Field(default=1800.0, gt=0)
    #: Restart the pod when it is Ready but this many WAHA polls in a row failed (a zombie).
    zombie_poll_failures: int = Field(default=3, ge=1)
    #: FAILED with a linked phone still FAILED after this many restarts: the phone unlinked the device.
    device_unlinked_after_restarts: int = Field(default=1, ge=1)
    #: After this many self-healing restarts within restart_storm_window seconds, stop (Degraded=True)
    #: until the spec or the restartedAt annotation changes.
    restart_storm_limit: int = Field(default=5, ge=1)
    restart_storm_window: float = Field(default=3600.0, gt=0)
    #: How long the delete handler waits for WAHA's logout before giving up.
    logout_timeout: float = 10.0
    waha_request_timeout: float = 10.0
    termination_grace_period_seconds: int = 20
    files_lifetime_seconds: int = Field(default=0, description="WHATSAPP_FILES_LIFETIME; 0 keeps media.")
    log_format: str = Field(default="json", description="json | console")


@lru_cache
def get_operator_settings() -> OperatorSettings:
    return OperatorSettings()


def _seconds(value: object) -> object:
    """Durations from the environment: plain seconds ("900") as well as ISO 8601 ("PT15M")."""
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        return float(value)
    return value


def _blank_is_none(value: object) -> object:
    """The Helm chart sets S3 variables to "" when unused: an empty value means "not set"."""
    return None if isinstance(value, str) and not value.strip() else value


#: A duration setting: a number of seconds or an ISO 8601 duration.
Duration = Annotated[timedelta, BeforeValidator(_seconds)]


def _env(name: str) -> AliasChoices:
    """Accept both `CONECTAFY_<NAME>` and the bare conventional name (DATABASE_URL, SUPABASE_URL…)."""
    return AliasChoices(f"CONECTAFY_{name}", name)


class ApiSettings(BaseSettings):
    """The API server: database, accounts (built-in or Supabase), limits and where the dashboard is."""

    model_config = SettingsConfigDict(env_prefix="CONECTAFY_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: PostgreSQL DSN; unset starts an embedded PostgreSQL in data_dir.
    database_url: str | None = Field(default=None, validation_alias=_env("DATABASE_URL"))
    #: Holds the embedded PostgreSQL and the generated built-in JWT secret.
    data_dir: Path = Field(default_factory=lambda: Path.home() / ".local" / "share" / "conectafy")
    db_pool_min_size: int = Field(default=1, ge=0)
    db_pool_max_size: int = Field(default=10, ge=1)
    #: Supabase mode is on when supabase_url is set.
    supabase_url: str | None = Field(default=None, validation_alias=_env("SUPABASE_URL"))
    supabase_anon_key: SecretStr | None = Field(default=None, validation_alias=_env("SUPABASE_ANON_KEY"))
    #: Server-side only; never sent to a browser.
    supabase_service_key: SecretStr | None = Field(
        default=None, validation_alias=_env("SUPABASE_SERVICE_KEY")
    )
    #: The project's JWT secret (HS256 projects); asymmetric projects are verified through the JWKS.
    supabase_jwt_secret: SecretStr | None = Field(default=None, validation_alias=_env("SUPABASE_JWT_SECRET"))
    #: Defaults to <supabase_url>/auth/v1/.well-known/jwks.json.
    supabase_jwks_url: str | None = Field(default=None, validation_alias=_env("SUPABASE_JWKS_URL"))
    #: Built-in mode's HS256 secret; unset generates one and keeps it in data_dir/jwt_secret.
    jwt_secret: SecretStr | None = None
    jwt_issuer: str = "conectafy"
    access_token_ttl: Duration = timedelta(minutes=15)
    refresh_token_ttl: Duration = timedelta(days=30)
    #: Login attempts per (client IP, email) within login_rate_window; counted per API replica.
    login_rate_limit: int = Field(default=5, ge=1)
    login_rate_window: Duration = timedelta(minutes=1)
    password_min_length: int = Field(default=8, ge=1)
    #: argon2id cost of built-in password hashes (OWASP-level defaults; lower only for tests).
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65536, ge=8)
    session_quota_per_user: int = Field(default=10, ge=0)
    #: Namespace of the WhatsAppSession resources.
    namespace: str = "conectafy"
    #: Kubernetes API server URL; empty uses KUBECONFIG, then the in-cluster service account.
    kubernetes_url: str | None = None
    #: How the API reaches a session's WAHA when its resource has no `.status.endpoint` yet.
    #: Placeholders: {name}, {namespace}, {service}, {port} (as the operator's waha_url_template).
    waha_url_template: str = "http://{service}.{namespace}.svc:{port}"
    waha_port: int = Field(default=3000, ge=1, le=65535)
    waha_request_timeout: float = Field(default=10.0, gt=0)
    #: A webhook's "re-read WAHA" nudge is sent at most once per session and status in this window.
    nudge_debounce_seconds: float = Field(default=5.0, ge=0)
    #: The operator's session key master (same value): the API derives each session's WAHA API key and
    #: webhook HMAC key instead of reading the sessions' Secrets (then its Role needs no Secret access).
    session_key_master: SecretStr | None = None
    #: How often a replica that does not lead tries to take over the once-per-cluster work (session
    #: projection, media sweeper, retention); also how soon a dead leader is replaced.
    leader_retry_seconds: float = Field(default=2.0, gt=0)
    #: Largest request body accepted (413 beyond it).
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    #: The built dashboard, served at / when it exists.
    web_dist_dir: Path = Field(default_factory=lambda: Path(__file__).resolve().parents[1] / "web" / "dist")
    log_format: str = Field(default="json", description="json | console")
    log_level: str = "INFO"
    #: Seconds between SSE heartbeats on /api/events (keeps proxies from closing idle streams).
    sse_ping_seconds: float = Field(default=15.0, gt=0)
    #: S3-compatible media storage (the Helm chart's CONECTAFY_S3_*): on when s3_bucket is set. Incoming
    #: media is copied there after its message is stored (WAHA deletes its files after a while).
    s3_bucket: Annotated[str | None, BeforeValidator(_blank_is_none)] = None
    #: Empty uses AWS S3; set it for MinIO, R2, Ceph... The chart sets CONECTAFY_S3_ENDPOINT (accepted too).
    s3_endpoint_url: Annotated[str | None, BeforeValidator(_blank_is_none)] = Field(
        default=None, validation_alias=AliasChoices("CONECTAFY_S3_ENDPOINT_URL", "CONECTAFY_S3_ENDPOINT")
    )
    s3_region: str = "us-east-1"
    s3_access_key_id: Annotated[str | None, BeforeValidator(_blank_is_none)] = None
    s3_secret_access_key: SecretStr | None = None
    #: Prepended to every object key (`<prefix><session id>/<message row id>-<WAHA file name>`).
    s3_prefix: str = "media/"
    #: Largest media file copied from (or served through) WAHA; larger files stay WAHA-only.
    media_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    #: How often the sweeper retries media copies that failed, and how many times per file at most.
    media_copy_interval: Duration = timedelta(minutes=1)
    media_copy_max_attempts: int = Field(default=5, ge=1)
    #: How long live events (SSE replay after Last-Event-ID) and webhook dedupe records are kept. Keep
    #: deliveries_retention longer than WAHA's retry window, or a late retry is stored twice.
    events_retention: Duration = timedelta(days=7)
    deliveries_retention: Duration = timedelta(days=7)
    #: How often old events/deliveries are deleted, and how many rows one DELETE removes at most.
    retention_interval: Duration = timedelta(hours=1)
    retention_batch_size: int = Field(default=1000, ge=1)
    #: Set by `conectafy demo` only: serves /api/demo (the dashboard's banner and simulated phone). Its
    #: routes drive the WAHA simulator's /_sim/ control API, which a real WAHA does not have.
    demo: bool = False

    @property
    def supabase_mode(self) -> bool:
        return bool(self.supabase_url)

    @property
    def s3_enabled(self) -> bool:
        return bool(self.s3_bucket)


@lru_cache
def get_api_settings() -> ApiSettings:
    return ApiSettings()
