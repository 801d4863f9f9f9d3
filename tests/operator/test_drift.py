"""Drift: desired ⊆ live, with Kubernetes quantities compared by value."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from conectafy.operator.manifests import SessionRef, build_deployment, is_drifted, parse_quantity
from conectafy.session import WhatsAppSessionSpec
from conectafy.settings import OperatorSettings

SETTINGS = OperatorSettings(waha_version="2026.8.2", waha_port=3000)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("0.5", Decimal("0.5")),
        ("2", Decimal(2)),
        (2, Decimal(2)),
        (0.25, Decimal("0.25")),
        ("1Gi", Decimal(1024**3)),
        ("1024Mi", Decimal(1024**3)),
        ("1G", Decimal(10**9)),
        ("1e3", Decimal(1000)),
        ("1.5k", Decimal(1500)),
        ("100n", Decimal("1e-7")),
        (".5", Decimal("0.5")),
    ],
)
def test_parse_quantity(text: Any, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "lots", "1Xi", "1 Gi", "Gi", True, None, "1..2"])
def test_parse_quantity_rejects_non_quantities(text: Any) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("desired", "live", "drifted"),
    [
        ({"a": 1}, {"a": 1}, False),
        ({"a": 1}, {"a": 1, "uid": "x", "status": {"ready": True}}, False),  # server additions
        ({"a": {"b": "x"}}, {"a": {"b": "x", "c": "default"}}, False),
        ({"a": 1}, {"a": 2}, True),
        ({"a": 1}, {}, True),
        ({"a": {"b": "x"}}, {"a": "x"}, True),
        ({"a": True}, {"a": 1}, True),  # bool is not int
        ({"a": [1, 2]}, {"a": [1, 2]}, False),
        ({"a": [1, 2]}, {"a": [1]}, True),
        ({"a": [1, 2]}, {"a": [1, 2, 3]}, True),  # a merge patch replaces the list: converges
        ({"a": [{"n": 1}]}, {"a": [{"n": 1, "default": 0}]}, False),
        ({"a": {}}, {}, False),  # an empty map the server omits
        ({"a": []}, {}, False),
        ({"resources": {"requests": {"cpu": "0.5"}}}, {"resources": {"requests": {"cpu": "500m"}}}, False),
        ({"resources": {"limits": {"memory": "1024Mi"}}}, {"resources": {"limits": {"memory": "1Gi"}}},
         False),
        ({"resources": {"limits": {"memory": "512Mi"}}}, {"resources": {"limits": {"memory": "1Gi"}}},
         True),
        ({"resources": {"requests": {"cpu": 1}}}, {"resources": {"requests": {"cpu": "1"}}}, False),
        ({"env": [{"value": "1"}]}, {"env": [{"value": "1.0"}]}, True),  # not a quantity field
        ({"emptyDir": {"sizeLimit": "1Gi"}}, {"emptyDir": {"sizeLimit": "1024Mi"}}, False),
    ],
)
def test_is_drifted(desired: dict[str, Any], live: dict[str, Any], drifted: bool) -> None:
    assert is_drifted(desired, live) is drifted


def _served(desired: dict[str, Any]) -> dict[str, Any]:
    """What an API server returns for `desired`: defaults added, quantities normalised."""
    live: dict[str, Any] = copy.deepcopy(desired)
    live["metadata"].update({"uid": "1", "resourceVersion": "7", "generation": 1, "annotations": {"x": "y"}})
    live["spec"]["progressDeadlineSeconds"] = 600
    pod = live["spec"]["template"]["spec"]
    pod.update({"dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler"})
    (main,) = pod["containers"]
    main.update({"imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log"})
    main["readinessProbe"]["successThreshold"] = 1
    main["resources"] = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}
    live["status"] = {"availableReplicas": 1}
    return live


def _deployment() -> dict[str, Any]:
    spec = WhatsAppSessionSpec.model_validate({"resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}}})
    ref = SessionRef("support", "tenant-a", "uid-1", 1, spec)
    deployment: dict[str, Any] = build_deployment(ref, SETTINGS)
    return deployment


def test_served_deployment_is_not_drift() -> None:
    assert is_drifted(_deployment(), _served(_deployment())) is False


def test_env_var_removed_by_hand_is_drift() -> None:
    live = _served(_deployment())
    del live["spec"]["template"]["spec"]["containers"][0]["env"][0]
    assert is_drifted(_deployment(), live) is True


def test_replicas_changed_by_hand_is_drift() -> None:
    live = _served(_deployment())
    live["spec"]["replicas"] = 3
    assert is_drifted(_deployment(), live) is True
