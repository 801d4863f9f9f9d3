"""The WhatsAppSession resource: the one model of its spec and status.

The CRD in crds/ is generated from these classes (`conectafy.crd`), the operator reads specs
through them and writes status through them, and the API creates resources with them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

GROUP = "conectafy.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "WhatsAppSession"
PLURAL = "whatsappsessions"
SINGULAR = "whatsappsession"
SHORT_NAMES = ["wa"]
CATEGORIES = ["conectafy"]

#: A user id must fit a label value: the owner is copied into `conectafy.io/owner` labels.
OWNER_PATTERN = r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
#: Session names become Deployment/Service names (DNS-1035 label, room for suffixes).
NAME_PATTERN = r"^[a-z]([-a-z0-9]{0,50}[a-z0-9])?$"
QUANTITY_PATTERN = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
#: Bounds the cost the API server estimates for the CEL rules that parse a size (`quantity()`).
QUANTITY_MAX_LENGTH = 64


def _number_as_quantity(value: Any) -> Any:
    """Kubernetes accepts `cpu: 1` as well as `cpu: "1"`; the model keeps quantities as text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


#: A Kubernetes resource quantity (`500m`, `1Gi`, `2`); numbers are accepted and kept as text.
Quantity = Annotated[str, BeforeValidator(_number_as_quantity), StringConstraints(pattern=QUANTITY_PATTERN)]


class CamelModel(BaseModel):
    """Kubernetes speaks camelCase; Python code uses snake_case."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def to_k8s(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Engine(StrEnum):
    """WAHA's WhatsApp engines. GOWS is the default: no browser, the smallest footprint per number."""

    NOWEB = "NOWEB"
    WEBJS = "WEBJS"
    GOWS = "GOWS"


class PlacementMode(StrEnum):
    """Where the number runs. Only Dedicated (one WAHA pod per number) exists today."""

    DEDICATED = "Dedicated"


class Phase(StrEnum):
    PENDING = "Pending"
    STARTING = "Starting"
    SCAN_QR = "ScanQR"
    CONNECTED = "Connected"
    FAILED = "Failed"
    STOPPED = "Stopped"


class Placement(CamelModel):
    """Kept as an object so a later "shared worker" mode can add fields without breaking the API."""

    mode: PlacementMode = PlacementMode.DEDICATED


class Storage(CamelModel):
    size: str = Field(
        default="1Gi",
        pattern=QUANTITY_PATTERN,
        max_length=QUANTITY_MAX_LENGTH,
        description="PVC size for WhatsApp login data; it can grow (if the class allows) but never shrink.",
    )
    storage_class_name: str | None = Field(
        default=None,
        max_length=253,
        description="Empty uses the cluster's default class; immutable (a claim's class cannot change).",
    )
    retain_on_delete: bool = Field(default=False, description="Keep the PVC when the session is deleted.")


class ResourceRequirements(CamelModel):
    """Overrides the engine's preset; keys are `cpu`/`memory`, values Kubernetes quantities."""

    requests: dict[str, Quantity] | None = None
    limits: dict[str, Quantity] | None = None


class Webhook(CamelModel):
    events: list[str] = Field(
        default_factory=lambda: [
            "session.status",
            "message.any",
            "message.ack",
            "message.reaction",
            "message.revoked",
        ],
        min_length=1,
        description="WAHA webhook events delivered to the Conectafy API (message.any covers in and out).",
    )


class Toleration(CamelModel):
    key: str | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = None


class Scheduling(CamelModel):
    node_selector: dict[str, str] | None = None
    tolerations: list[Toleration] | None = None
    affinity: dict[str, Any] | None = Field(default=None, description="A core/v1 Affinity object.")


class WhatsAppSessionSpec(CamelModel):
    engine: Engine = Field(default=Engine.GOWS, description="WAHA engine (NOWEB | WEBJS | GOWS).")
    paused: bool = Field(default=False, description="Scale WAHA to zero; the login data is kept.")
    owner: str | None = Field(default=None, pattern=OWNER_PATTERN, description="Owning user id; immutable.")
    display_name: str | None = Field(default=None, max_length=120)
    image: str | None = Field(default=None, description="Overrides the WAHA image chosen for the engine.")
    storage: Storage = Field(default_factory=Storage)
    resources: ResourceRequirements | None = None
    webhook: Webhook = Field(default_factory=Webhook)
    scheduling: Scheduling | None = None
    placement: Placement = Field(default_factory=Placement)


class ConditionType(StrEnum):
    READY = "Ready"  # the WAHA workload is available
    CONNECTED = "Connected"  # WhatsApp is WORKING
    DEGRADED = "Degraded"  # self-healing stopped restarting the session (a restart storm)


class Condition(CamelModel):
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str = Field(pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    message: str = ""
    last_transition_time: datetime
    observed_generation: int | None = None


class HealingHold(CamelModel):
    """Self-healing gave up on a session (restart storm) until its spec or `restartedAt` changes."""

    reason: str = Field(description="Why healing stopped (RestartStorm).")
    since: datetime
    generation: int = Field(description="metadata.generation when healing stopped.")
    restarted_at: str | None = Field(default=None, description="The restartedAt annotation then.")


class WhatsAppSessionStatus(CamelModel):
    phase: Phase = Phase.PENDING
    wa_status: str | None = Field(default=None, description="WAHA's raw session status.")
    phone_number: str | None = None
    push_name: str | None = None
    endpoint: str | None = Field(default=None, description="WAHA's base URL inside the cluster.")
    waha_session: str | None = Field(default=None, description="The session's name inside WAHA.")
    image: str | None = None
    observed_generation: int | None = None
    last_connected_at: datetime | None = None
    failure_count: int | None = Field(default=None, description="Consecutive FAILED restarts (backoff).")
    last_restart_at: datetime | None = None
    phase_since: datetime | None = Field(default=None, description="When the phase last changed.")
    restart_times: list[datetime] | None = Field(
        default=None,
        description="Self-healing restarts within CONECTAFY_RESTART_STORM_WINDOW; "
        "CONECTAFY_RESTART_STORM_LIMIT of them stop healing (Degraded=True). "
        "Stuck thresholds: CONECTAFY_STUCK_STARTING_SECONDS, "
        "CONECTAFY_STUCK_SCAN_QR_SECONDS.",
    )
    waha_poll_failures: int | None = Field(
        default=None,
        description="Consecutive WAHA polls that failed while the pod was Ready; "
        "CONECTAFY_ZOMBIE_POLL_FAILURES of them roll the pod.",
    )
    device_unlinked_at: datetime | None = Field(
        default=None,
        description="When the phone unlinked this device (still FAILED after "
        "CONECTAFY_DEVICE_UNLINKED_AFTER_RESTARTS restarts): WAHA was logged out; cleared on reconnection.",
    )
    pod_restarted_at: datetime | None = Field(
        default=None,
        description="When self-healing last rolled the WAHA pod (a zombie: Ready but WAHA silent); "
        "the operator applies it as the pod template's conectafy.io/healedAt annotation.",
    )
    healing_hold: HealingHold | None = Field(
        default=None, description="Self-healing stopped; it resumes when the spec or restartedAt changes."
    )
    conditions: list[Condition] = Field(default_factory=list)


class ObjectMeta(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=NAME_PATTERN)
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class WhatsAppSession(CamelModel):
    """A whole resource, for clients that create or read sessions (the API, the CLI, tests)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    api_version: Literal["conectafy.io/v1alpha1"] = "conectafy.io/v1alpha1"
    kind: Literal["WhatsAppSession"] = "WhatsAppSession"
    metadata: ObjectMeta
    spec: WhatsAppSessionSpec = Field(default_factory=WhatsAppSessionSpec)
    status: WhatsAppSessionStatus | None = None
