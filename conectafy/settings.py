"""All settings, read from the environment in this one place (prefix `CONECTAFY_`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from conectafy.session import Engine


class OperatorSettings(BaseSettings):
    """How the operator builds WAHA workloads and talks to them. Every field is documented in
    docs/reference.md; the Helm chart sets them."""

    model_config = SettingsConfigDict(env_prefix="CONECTAFY_", extra="ignore")

    waha_image_repository: str = "devlikeapro/waha"
    waha_version: str = Field(default="2026.8.2", description="WAHA release; the image tag is <engine>-<version>.")
    waha_port: int = 3000
    #: How the operator reaches a session's WAHA. Placeholders: {name}, {namespace}, {service}, {port}.
    #: The default is the Service's in-cluster DNS name; outside the cluster (development) point it at a
    #: port-forward or a simulator, e.g. "http://127.0.0.1:3000".
    waha_url_template: str = "http://{service}.{namespace}.svc:{port}"
    #: Where WAHA delivers webhooks. Placeholders: {name}, {namespace}. Empty disables webhooks.
    webhook_url_template: str = "http://conectafy-api.{namespace}.svc:8000/webhooks/waha/{name}"
    webhook_retries_policy: str = "exponential"
    webhook_retries_delay_seconds: int = 2
    webhook_retries_attempts: int = 10
    #: Seconds between the safety-net polls of each session's WAHA (webhook nudges make it faster).
    status_poll_interval: float = 60.0
    #: Seconds between drift checks of the children (a deleted/edited child comes back within this).
    drift_check_interval: float = 20.0
    #: Upper bound of the FAILED→restart backoff, in seconds (1 min, 2 min, 4 min … capped here).
    failed_restart_backoff_base: float = 30.0
    failed_restart_backoff_max: float = 900.0
    #: How long the delete handler waits for WAHA's logout before giving up.
    logout_timeout: float = 10.0
    waha_request_timeout: float = 10.0
    termination_grace_period_seconds: int = 20
    default_engine: Engine = Engine.GOWS
    files_lifetime_seconds: int = Field(default=0, description="WHATSAPP_FILES_LIFETIME; 0 keeps media.")
    log_format: str = Field(default="json", description="json | console")


@lru_cache
def get_operator_settings() -> OperatorSettings:
    return OperatorSettings()
