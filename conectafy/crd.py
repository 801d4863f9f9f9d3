"""The WhatsAppSession CRD, generated from the pydantic model in `conectafy.session`.

`python -m conectafy.crd > crds/whatsappsessions.conectafy.io.yaml` regenerates the committed file;
a test fails when the two differ. The pydantic JSON schema is made *structural* (Kubernetes prunes
and validates with it): `$ref`s inlined, `Optional` collapsed, titles dropped, quantities
int-or-string, free-form objects marked `x-kubernetes-preserve-unknown-fields`.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from conectafy.session import (
    CATEGORIES,
    GROUP,
    KIND,
    PLURAL,
    QUANTITY_PATTERN,
    SHORT_NAMES,
    SINGULAR,
    VERSION,
    WhatsAppSessionSpec,
    WhatsAppSessionStatus,
)

CRD_NAME = f"{PLURAL}.{GROUP}"
CRD_PATH = f"crds/{CRD_NAME}.yaml"
REGENERATE_COMMAND = f"python -m conectafy.crd > {CRD_PATH}"

#: Kubernetes' own spelling of a resource quantity: `2`, `0.5`, `500m`, `1Gi`.
QUANTITY_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "integer"}, {"type": "string"}],
    "pattern": QUANTITY_PATTERN,
    "x-kubernetes-int-or-string": True,
}
OWNER_IMMUTABLE_RULE = "!has(oldSelf.owner) || (has(self.owner) && self.owner == oldSelf.owner)"
#: A PVC's class is immutable, and an empty one is filled in by the API server at creation: neither
#: setting, changing nor clearing it can ever reach the claim, so the API server refuses it up front.
STORAGE_CLASS_IMMUTABLE_RULE = (
    "has(self.storageClassName) == has(oldSelf.storageClassName)"
    " && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)"
)
#: A PVC can grow but never shrink (Kubernetes ≥ 1.29 has `quantity()`). `has` because the API server
#: also checks the rule against the schema's `default: {}` (no size yet); `isQuantity` keeps it from
#: failing with an evaluation error on a size that is no quantity: that is the pattern's to report (or,
#: for the rare text the pattern lets through, the claim's).
SIZE_NO_SHRINK_RULE = (
    "!has(self.size) || !has(oldSelf.size) || !isQuantity(self.size) || !isQuantity(oldSelf.size)"
    " || quantity(self.size).compareTo(quantity(oldSelf.size)) >= 0"
)
STORAGE_RULES: list[dict[str, str]] = [
    {
        "rule": STORAGE_CLASS_IMMUTABLE_RULE,
        "message": "spec.storage.storageClassName is immutable: a volume cannot move to another class "
        "(create a new session instead)",
        "fieldPath": ".storageClassName",
    },
    {
        "rule": SIZE_NO_SHRINK_RULE,
        "message": "spec.storage.size cannot shrink: a volume can only grow",
        "fieldPath": ".size",
    },
]
#: Child names are `waha-<name>` and a Service name is a DNS-1035 label (no dots, ≤63). A regex would
#: exceed CEL's cost budget on the unbounded metadata.name; size() and contains() stay cheap.
NAME_RULE = "size(self.metadata.name) <= 52 && !self.metadata.name.contains('.')"
_DROPPED_KEYS = ("title", "$defs", "additionalProperties")
#: Keys first in this order, so the YAML reads top-down; the rest keep the model's order.
_KEY_ORDER = (
    "description",
    "type",
    "format",
    "enum",
    "default",
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "required",
    "properties",
    "items",
    "additionalProperties",
)


class _FactoryDefaults(GenerateJsonSchema):
    """Pydantic leaves `default_factory` defaults out; Kubernetes should apply them like `default`s.

    A nested model defaults to `{}` (the API server then fills its own defaults recursively)."""

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            value = factory()  # type: ignore[call-arg]
            schema = {key: item for key, item in schema.items() if key != "default_factory"}  # type: ignore[assignment]
            schema["default"] = {} if isinstance(value, BaseModel) else value
        return super().default_schema(schema)


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    """Inline `$ref`s, collapse `X | None` to X, drop titles and `additionalProperties: false`."""
    if isinstance(node, list):
        return [_resolve(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if "$ref" in node:
        target = defs[node.pop("$ref").rsplit("/", 1)[-1]]
        node = {**target, **node}
    if "anyOf" in node and {"type": "null"} in node["anyOf"]:
        branches = [branch for branch in node.pop("anyOf") if branch != {"type": "null"}]
        (only,) = branches
        node = {**_resolve(only, defs), **node}
        if node.get("default", ...) is None:
            del node["default"]
    free_form = node.get("additionalProperties") is True
    result = {key: _resolve(value, defs) for key, value in node.items() if key not in _DROPPED_KEYS}
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        result["additionalProperties"] = _resolve(extra, defs)
    if free_form:
        result["x-kubernetes-preserve-unknown-fields"] = True
    return _ordered(result)


def _ordered(node: dict[str, Any]) -> dict[str, Any]:
    first = {key: node[key] for key in _KEY_ORDER if key in node}
    return {**first, **{key: value for key, value in node.items() if key not in first}}


def structural_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema in the structural form Kubernetes requires."""
    raw = model.model_json_schema(by_alias=True, schema_generator=_FactoryDefaults)
    return _resolve(raw, raw.get("$defs", {}))  # type: ignore[no-any-return]


def spec_schema() -> dict[str, Any]:
    schema = structural_schema(WhatsAppSessionSpec)
    schema = {"description": "The number as it should be; the operator makes the cluster match it.", **schema}
    resources = schema["properties"]["resources"]["properties"]
    for key in ("requests", "limits"):
        resources[key]["additionalProperties"] = copy.deepcopy(QUANTITY_SCHEMA)
    schema["default"] = {}
    schema["properties"]["storage"]["x-kubernetes-validations"] = copy.deepcopy(STORAGE_RULES)
    schema["x-kubernetes-validations"] = [
        {"rule": OWNER_IMMUTABLE_RULE, "message": "spec.owner is immutable once set"},
    ]
    return schema


def status_schema() -> dict[str, Any]:
    schema = structural_schema(WhatsAppSessionStatus)
    schema = {"description": "What the operator observed (it is the only writer); a public API.", **schema}
    conditions = schema["properties"]["conditions"]
    conditions["x-kubernetes-list-type"] = "map"
    conditions["x-kubernetes-list-map-keys"] = ["type"]
    return schema


def _printer_columns() -> list[dict[str, Any]]:
    def column(name: str, kind: str, path: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "type": kind, "jsonPath": path, **extra}

    return [
        column("Phase", "string", ".status.phase"),
        column("Phone", "string", ".status.phoneNumber"),
        column("Engine", "string", ".spec.engine"),
        column("Ready", "string", '.status.conditions[?(@.type=="Ready")].status'),
        column("Age", "date", ".metadata.creationTimestamp"),
        column("Image", "string", ".status.image", priority=1),
    ]


def openapi_schema() -> dict[str, Any]:
    """The whole resource's schema (`versions[0].schema.openAPIV3Schema`)."""
    return {
        "type": "object",
        "description": "One WhatsApp number, run by one WAHA container that the operator owns.",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema(),
            "status": status_schema(),
        },
        "x-kubernetes-validations": [
            {
                "rule": NAME_RULE,
                "message": "metadata.name must have at most 52 characters and no dots "
                "(child objects are named waha-<name>)",
            },
        ],
    }


def build_crd() -> dict[str, Any]:
    """The `apiextensions.k8s.io/v1` CustomResourceDefinition of WhatsAppSession."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD_NAME},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": KIND,
                "listKind": f"{KIND}List",
                "plural": PLURAL,
                "singular": SINGULAR,
                "shortNames": list(SHORT_NAMES),
                "categories": list(CATEGORIES),
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": _printer_columns(),
                    "schema": {"openAPIV3Schema": openapi_schema()},
                }
            ],
        },
    }


def crd_yaml() -> str:
    """The committed file's exact text."""
    header = f"# Generated from conectafy/session.py — do not edit. Regenerate: {REGENERATE_COMMAND}\n"
    return header + yaml.safe_dump(build_crd(), sort_keys=False, allow_unicode=True, width=110)


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    """A copy of `value` with the schema's defaults filled in, the way the API server does it:
    a missing property gets its default, then defaulting recurses into it."""
    if isinstance(value, dict):
        result = dict(value)
        properties: dict[str, Any] = schema.get("properties", {})
        for key, sub in properties.items():
            if key not in result and "default" in sub:
                result[key] = copy.deepcopy(sub["default"])
            if key in result:
                result[key] = apply_defaults(sub, result[key])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in result.keys() - properties.keys():
                result[key] = apply_defaults(extra, result[key])
        return result
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(schema["items"], item) for item in value]
    return value


if __name__ == "__main__":
    print(crd_yaml(), end="")
