"""The CRD generated from the model: committed file, structural schema, defaults, validation, CEL."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import kubernetes_validate
import pytest
import yaml

from conectafy.crd import (
    CRD_PATH,
    NAME_RULE,
    OWNER_IMMUTABLE_RULE,
    REGENERATE_COMMAND,
    SIZE_NO_SHRINK_RULE,
    STORAGE_CLASS_IMMUTABLE_RULE,
    STORAGE_RULES,
    apply_defaults,
    build_crd,
    crd_yaml,
    openapi_schema,
    spec_schema,
    status_schema,
)
from conectafy.session import WhatsAppSessionSpec, WhatsAppSessionStatus

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "session.yaml"


def _pruned(schema: dict[str, Any], value: Any) -> Any:
    """What a structural schema keeps of `value` (the API server drops undeclared fields)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return value
    if isinstance(value, dict):
        if "properties" in schema:
            declared = schema["properties"]
            return {k: _pruned(declared[k], v) for k, v in value.items() if k in declared}
        extra = schema.get("additionalProperties")
        return {k: _pruned(extra, v) for k, v in value.items()} if isinstance(extra, dict) else {}
    if isinstance(value, list):
        return [_pruned(schema.get("items", {}), item) for item in value]
    return value


def _structural_violations(schema: dict[str, Any], path: str = "") -> list[str]:
    """The structural-schema rules of apiextensions v1 that a generator can get wrong."""
    found: list[str] = []
    special = schema.get("x-kubernetes-int-or-string") or schema.get("x-kubernetes-preserve-unknown-fields")
    if "type" not in schema and not special:
        found.append(f"{path}: no type")
    for key in ("$ref", "$defs", "title", "nullable", "oneOf", "allOf", "not"):
        if key in schema:
            found.append(f"{path}: has {key}")
    if "properties" in schema and "additionalProperties" in schema:
        found.append(f"{path}: properties and additionalProperties")
    if "anyOf" in schema and not schema.get("x-kubernetes-int-or-string"):
        found.append(f"{path}: anyOf outside int-or-string")
    for branch in schema.get("anyOf", []):
        if set(branch) != {"type"}:
            found.append(f"{path}: anyOf branch {branch} has more than a type")
    if "additionalProperties" in schema and not isinstance(schema["additionalProperties"], dict):
        found.append(f"{path}: additionalProperties is not a schema")
    for name, sub in schema.get("properties", {}).items():
        found += _structural_violations(sub, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _structural_violations(schema[key], f"{path}[{key}]")
    return found


def _validate(schema: dict[str, Any], value: Any) -> None:
    jsonschema.Draft202012Validator(schema).validate(value)


def test_committed_crd_is_generated_from_the_model() -> None:
    committed = (ROOT / CRD_PATH).read_text()
    assert committed == crd_yaml(), f"{CRD_PATH} is stale; regenerate it with: {REGENERATE_COMMAND}"


def test_regenerate_command_prints_the_crd_from_the_repository_root() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "conectafy.crd"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert printed == crd_yaml()


def test_crd_validates_as_apiextensions_v1() -> None:
    kubernetes_validate.validate(build_crd(), "1.33", strict=True)


def test_schema_is_structural() -> None:
    assert _structural_violations(openapi_schema()) == []


def test_resource_identity() -> None:
    spec = build_crd()["spec"]
    version = spec["versions"][0]
    assert (build_crd()["metadata"], spec["group"], spec["scope"], spec["names"]) == (
        {"name": "whatsappsessions.conectafy.io"},
        "conectafy.io",
        "Namespaced",
        {
            "kind": "WhatsAppSession",
            "listKind": "WhatsAppSessionList",
            "plural": "whatsappsessions",
            "singular": "whatsappsession",
            "shortNames": ["wa"],
            "categories": ["conectafy"],
        },
    )
    assert (len(spec["versions"]), version["name"], version["served"], version["storage"]) == (
        1, "v1alpha1", True, True,
    )
    assert version["subresources"] == {"status": {}}


def test_printer_columns() -> None:
    assert build_crd()["spec"]["versions"][0]["additionalPrinterColumns"] == [
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Phone", "type": "string", "jsonPath": ".status.phoneNumber"},
        {"name": "Engine", "type": "string", "jsonPath": ".spec.engine"},
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        {"name": "Image", "type": "string", "jsonPath": ".status.image", "priority": 1},
    ]


def test_example_session_validates_after_defaults() -> None:
    example = yaml.safe_load(EXAMPLE.read_text())
    defaulted = apply_defaults(openapi_schema(), example)
    _validate(openapi_schema(), defaulted)
    assert _pruned(spec_schema(), defaulted["spec"]) == defaulted["spec"]
    assert defaulted["spec"] == WhatsAppSessionSpec.model_validate(example["spec"]).to_k8s()


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"engine": "WEBJS", "paused": True},
        {"storage": {"size": "5Gi"}},
        {"webhook": {"events": ["message"]}},
        {"scheduling": {"nodeSelector": {"disk": "ssd"},
                        "tolerations": [{"key": "k", "operator": "Exists"}]}},
        {"placement": {}},
    ],
)
def test_crd_defaults_equal_model_defaults(spec: dict[str, Any]) -> None:
    assert apply_defaults(spec_schema(), spec) == WhatsAppSessionSpec.model_validate(spec).to_k8s()


@pytest.mark.parametrize(
    "spec",
    [
        {"engine": "WPP"},
        {"owner": "has spaces"},
        {"owner": "-leading-dash"},
        {"displayName": "x" * 121},
        {"storage": {"size": "lots"}},
        {"webhook": {"events": []}},
        {"resources": {"requests": {"cpu": "fast"}}},
        {"scheduling": {"tolerations": [{"operator": "Sometimes"}]}},
        {"placement": {"mode": "Shared"}},
        {"paused": "maybe"},
    ],
)
def test_invalid_spec_is_rejected_by_crd_and_model(spec: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        _validate(spec_schema(), apply_defaults(spec_schema(), spec))
    with pytest.raises(ValueError):
        WhatsAppSessionSpec.model_validate(spec)


def test_quantities_are_int_or_string() -> None:
    spec = {"resources": {"requests": {"cpu": 1, "memory": "256Mi"}, "limits": {"cpu": "1500m"}}}
    _validate(spec_schema(), apply_defaults(spec_schema(), spec))
    assert WhatsAppSessionSpec.model_validate(spec).to_k8s()["resources"] == {
        "requests": {"cpu": "1", "memory": "256Mi"},
        "limits": {"cpu": "1500m"},
    }


def test_affinity_keeps_unknown_fields() -> None:
    term = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
    required = {"nodeSelectorTerms": [term]}
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}
    spec = apply_defaults(spec_schema(), {"scheduling": {"affinity": affinity}})
    assert _pruned(spec_schema(), spec)["scheduling"] == {"affinity": affinity}


def test_every_status_field_is_declared() -> None:
    status = WhatsAppSessionStatus.model_validate(
        {
            "phase": "Connected", "waStatus": "WORKING", "phoneNumber": "+15550001111", "pushName": "Acme",
            "endpoint": "http://waha-a.ns.svc:3000", "wahaSession": "default", "image": "devlikeapro/waha:x",
            "observedGeneration": 3, "lastConnectedAt": "2026-11-28T10:00:00Z", "failureCount": 2,
            "lastRestartAt": "2026-11-28T09:00:00Z",
            "conditions": [{"type": "Ready", "status": "True", "reason": "WorkloadAvailable", "message": "ok",
                            "lastTransitionTime": "2026-11-28T10:00:00Z", "observedGeneration": 3}],
        }
    ).to_k8s()
    assert _pruned(status_schema(), status) == status
    _validate(status_schema(), status)


def test_every_spec_field_is_declared() -> None:
    spec = WhatsAppSessionSpec.model_validate(
        {
            "engine": "NOWEB", "paused": True, "owner": "u1", "displayName": "Sales", "image": "waha:dev",
            "storage": {"size": "2Gi", "storageClassName": "fast", "retainOnDelete": True},
            "resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}},
            "webhook": {"events": ["message"]},
            "scheduling": {"nodeSelector": {"a": "b"}, "affinity": {"podAffinity": {}},
                           "tolerations": [{"key": "k", "operator": "Equal", "value": "v",
                                            "effect": "NoExecute", "tolerationSeconds": 30}]},
            "placement": {"mode": "Dedicated"},
        }
    ).to_k8s()
    assert _pruned(spec_schema(), spec) == spec


#: Suffix → factor of a Kubernetes quantity (k8s.io/apimachinery resource.Quantity).
_SUFFIXES = {
    "": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}
_QUANTITY = re.compile(r"^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(?:([eE][-+]?[0-9]+)|([a-zA-Z]*))$")


def _quantity(text: str) -> Decimal | None:
    """Kubernetes' quantity grammar, for the `quantity()` CEL library that cel-python lacks."""
    match = _QUANTITY.match(text)
    if match is None or (match[3] or "") not in _SUFFIXES:
        return None
    factor = Decimal(10) ** int(match[2][1:]) if match[2] else Decimal(_SUFFIXES[match[3] or ""])
    return Decimal(match[1]) * factor


def _cel_quantity_library() -> dict[str, Any]:
    """`isQuantity`, `quantity` and `compareTo`, as the API server (≥ 1.29) defines them."""

    def quantity(text: celpy.celtypes.StringType) -> celpy.celtypes.StringType:
        if _quantity(str(text)) is None:
            raise ValueError(f"invalid quantity {text!r}")
        return text

    def compare_to(left: celpy.celtypes.StringType, right: celpy.celtypes.StringType) -> Any:
        a, b = _quantity(str(left)), _quantity(str(right))
        assert a is not None and b is not None
        return celpy.celtypes.IntType((a > b) - (a < b))

    return {
        "isQuantity": lambda text: celpy.celtypes.BoolType(_quantity(str(text)) is not None),
        "quantity": quantity,
        "compareTo": compare_to,
    }


def _cel(rule: str, **variables: Any) -> bool:
    env = celpy.Environment()
    program = env.program(env.compile(rule), functions=_cel_quantity_library())
    activation = {name: celpy.adapter.json_to_cel(value) for name, value in variables.items()}
    return bool(program.evaluate(activation))


def test_cel_rules_are_attached_where_they_apply() -> None:
    assert (openapi_schema()["x-kubernetes-validations"], spec_schema()["x-kubernetes-validations"]) == (
        [{"rule": NAME_RULE, "message": "metadata.name must have at most 52 characters and no dots "
                                        "(child objects are named waha-<name>)"}],
        [{"rule": OWNER_IMMUTABLE_RULE, "message": "spec.owner is immutable once set"}],
    )
    assert spec_schema()["properties"]["storage"]["x-kubernetes-validations"] == STORAGE_RULES
    assert [rule["fieldPath"] for rule in STORAGE_RULES] == [".storageClassName", ".size"]


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ({}, {}, True),
        ({}, {"owner": "u1"}, True),  # set once
        ({"owner": "u1"}, {"owner": "u1"}, True),
        ({"owner": "u1"}, {"owner": "u2"}, False),
        ({"owner": "u1"}, {}, False),  # removing it is a change too
    ],
)
def test_owner_is_immutable_once_set(old: dict[str, Any], new: dict[str, Any], allowed: bool) -> None:
    assert _cel(OWNER_IMMUTABLE_RULE, self=new, oldSelf=old) is allowed


@pytest.mark.parametrize(
    ("name", "allowed"),
    [("support", True), ("a" * 52, True), ("a" * 53, False), ("sales.team", False)],
)
def test_session_name_must_fit_child_names(name: str, allowed: bool) -> None:
    assert _cel(NAME_RULE, self={"metadata": {"name": name}}) is allowed


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ({}, {}, True),
        ({"storageClassName": "fast"}, {"storageClassName": "fast"}, True),
        ({"storageClassName": "fast"}, {"storageClassName": "slow"}, False),
        ({"storageClassName": "fast"}, {}, False),  # clearing it is a change too
        ({}, {"storageClassName": "fast"}, False),  # the claim already has the default class
    ],
)
def test_storage_class_is_immutable(old: dict[str, Any], new: dict[str, Any], allowed: bool) -> None:
    assert _cel(STORAGE_CLASS_IMMUTABLE_RULE, self=new, oldSelf=old) is allowed


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("1Gi", "1Gi", True),
        ("1Gi", "2Gi", True),
        ("1Gi", "1024Mi", True),  # the same size, spelled differently
        ("1Gi", "1G", False),  # 10^9 < 2^30
        ("2Gi", "1Gi", False),
        ("1Gi", "1023Mi", False),
        ("500M", "0.5G", True),
        ("1Gi", "1.5Gi", True),
        ("1.5Gi", "1e9", False),
    ],
)
def test_storage_size_cannot_shrink(old: str, new: str, allowed: bool) -> None:
    assert _cel(SIZE_NO_SHRINK_RULE, self={"size": new}, oldSelf={"size": old}) is allowed


def test_size_rule_holds_for_the_schemas_default_without_a_size() -> None:
    """The API server checks rules against `default: {}` when the CRD is created."""
    assert _cel(SIZE_NO_SHRINK_RULE, self={}, oldSelf={}) is True


def test_size_rule_leaves_a_malformed_size_to_the_pattern() -> None:
    assert _cel(SIZE_NO_SHRINK_RULE, self={"size": "1..2Gi"}, oldSelf={"size": "1Gi"}) is True
