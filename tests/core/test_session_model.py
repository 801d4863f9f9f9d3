"""The one pydantic model of a WhatsAppSession: defaults, aliases, validation at the edge."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from conectafy.session import (
    Condition,
    Engine,
    Phase,
    ResourceRequirements,
    WhatsAppSession,
    WhatsAppSessionSpec,
    WhatsAppSessionStatus,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "session.yaml"
DEFAULT_EVENTS = ["session.status", "message.any", "message.ack", "message.reaction", "message.revoked"]


def test_empty_spec_gets_every_default() -> None:
    assert WhatsAppSessionSpec().to_k8s() == {
        "engine": "GOWS",
        "paused": False,
        "storage": {"size": "1Gi", "retainOnDelete": False},
        "webhook": {"events": DEFAULT_EVENTS},
        "placement": {"mode": "Dedicated"},
    }


def test_camel_case_and_snake_case_both_load() -> None:
    camel = WhatsAppSessionSpec.model_validate({"displayName": "S", "storage": {"retainOnDelete": True}})
    snake = WhatsAppSessionSpec.model_validate({"display_name": "S", "storage": {"retain_on_delete": True}})
    assert camel == snake


def test_example_resource_loads() -> None:
    session = WhatsAppSession.model_validate(yaml.safe_load(EXAMPLE.read_text()))
    assert (session.metadata.name, session.spec.engine, session.spec.owner, session.spec.resources) == (
        "support",
        Engine.GOWS,
        "acme-admin",
        ResourceRequirements(requests={"cpu": "100m", "memory": "256Mi"}, limits={"memory": "512Mi"}),
    )


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"engnie": "GOWS"}, "engnie"),  # a typo is an error, not silently ignored
        ({"engine": "gows"}, "engine"),
        ({"owner": "a b"}, "owner"),
        ({"storage": {"size": "big"}}, "storage.size"),
        ({"resources": {"limits": {"memory": "lots"}}}, "resources.limits.memory"),
        ({"webhook": {"events": []}}, "webhook.events"),
        ({"scheduling": {"tolerations": [{"effect": "Never"}]}}, "scheduling.tolerations.0.effect"),
    ],
)
def test_bad_spec_names_the_field(spec: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WhatsAppSessionSpec.model_validate(spec)
    assert [".".join(str(part) for part in error["loc"]) for error in caught.value.errors()] == [field]


@pytest.mark.parametrize("value", [1, 0.5, "2", "500m"])
def test_quantities_accept_numbers_and_keep_text(value: Any) -> None:
    assert ResourceRequirements.model_validate({"requests": {"cpu": value}}).requests == {"cpu": str(value)}


@pytest.mark.parametrize("name", ["Support", "1support", "a" * 53, "sales.team", "-x", "x-"])
def test_resource_name_must_fit_child_names(name: str) -> None:
    with pytest.raises(ValidationError):
        WhatsAppSession.model_validate({"metadata": {"name": name}})


def test_status_round_trips_through_kubernetes_json() -> None:
    moment = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    status = WhatsAppSessionStatus(
        phase=Phase.CONNECTED,
        wa_status="WORKING",
        phone_number="+15550001111",
        last_connected_at=moment,
        conditions=[
            Condition(type="Ready", status="True", reason="WorkloadAvailable", last_transition_time=moment)
        ],
    )
    assert WhatsAppSessionStatus.model_validate(status.to_k8s()) == status


@pytest.mark.parametrize("reason", ["has space", "1Starts", "Trailing,", ""])
def test_condition_reason_is_camel_case(reason: str) -> None:
    with pytest.raises(ValidationError):
        Condition(type="Ready", status="True", reason=reason, last_transition_time=datetime.now(UTC))
