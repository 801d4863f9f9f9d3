"""Settings of one simulated WAHA container (one WhatsApp number), validated at the edge."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

#: The WAHA release the simulator imitates (CONTRACT.md: the 2026.2.1 build is the reference).
WAHA_VERSION = "2026.2.1"


class RetryPolicy(StrEnum):
    """WAHA's webhook retry policies (CONTRACT.md §6.4)."""

    CONSTANT = "constant"
    LINEAR = "linear"
    EXPONENTIAL = "exponential"


class SimulatorConfig(BaseModel):
    """What a real WAHA reads from its environment (WAHA_API_KEY, WHATSAPP_HOOK_*, ...).

    Every duration is a field so tests can make the simulator fast; none is ever a real minute
    unless asked for.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: str = Field(min_length=1, description="X-Api-Key every route but /ping requires")
    engine: str = Field(default="GOWS", pattern="^(WEBJS|NOWEB|GOWS|WPP)$")
    version: str = WAHA_VERSION
    webhook_url: str | None = Field(default=None, description="global webhook (WHATSAPP_HOOK_URL)")
    webhook_events: list[str] = Field(
        default_factory=lambda: ["*"], description="WHATSAPP_HOOK_EVENTS; '*' is every event"
    )
    hmac_key: str | None = Field(default=None, description="WHATSAPP_HOOK_HMAC_KEY")
    retry_policy: RetryPolicy = RetryPolicy.CONSTANT
    retry_delay_seconds: float = Field(default=2.0, ge=0)
    retry_attempts: int = Field(default=15, ge=0)
    retry_delay_scale: float = Field(
        default=1.0, ge=0, description="multiplies every retry delay, session webhooks included"
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    start_session: bool = Field(default=True, description="WHATSAPP_START_SESSION=default at boot")
    public_url: str | None = Field(
        default=None, description="WAHA_BASE_URL used in media.url; defaults to the served address"
    )
    files_folder: str = Field(default="/tmp/whatsapp-files", description="WHATSAPP_FILES_FOLDER (in errors)")
    qr_rotation_seconds: float = Field(default=60.0, gt=0)
    startup_seconds: float = Field(default=0.05, ge=0, description="time spent in STARTING")
    status_guard_wait_seconds: float = Field(
        default=2.0, ge=0, description="WAHA waits 5-10 s for the wanted status before a 422"
    )
    paired: bool = Field(
        default=False, description="boot with stored creds (a pod restart with its PVC): WORKING, no QR"
    )
    phone_number: str = Field(default="15550001111", pattern=r"^\d{6,15}$")
    push_name: str = "Conectafy Simulator"
    lid: str = "123456789012345@lid"
