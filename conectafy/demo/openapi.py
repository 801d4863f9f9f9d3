"""The OpenAPI v3 documents kubectl reads before `apply`: just enough to learn that the server takes
`fieldValidation` on a session PATCH (so kubectl leaves validation to the server instead of
downloading the whole cluster's OpenAPI v2), with the CRD's schema as the session's component."""

from __future__ import annotations

from typing import Any

from conectafy.session import GROUP, KIND, PLURAL, VERSION

GROUP_VERSION_PATH = f"apis/{GROUP}/{VERSION}"
SCHEMA_NAME = ".".join([*reversed(GROUP.split(".")), VERSION, KIND])  # io.conectafy.v1alpha1.WhatsAppSession


def root() -> dict[str, Any]:
    """`GET /openapi/v3`: where each group-version's document is."""
    return {
        "paths": {GROUP_VERSION_PATH: {"serverRelativeURL": f"/openapi/v3/{GROUP_VERSION_PATH}?hash=demo"}}
    }


def _operation(verb: str, gvk: dict[str, str], *, validated: bool) -> dict[str, Any]:
    params = [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}] if validated else []
    return {
        "operationId": f"{verb}{KIND}",
        "parameters": params,
        "responses": {
            "200": {
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{SCHEMA_NAME}"}}}
            }
        },
        "x-kubernetes-action": verb,
        "x-kubernetes-group-version-kind": gvk,
    }


def group_version(crd: dict[str, Any]) -> dict[str, Any]:
    """`GET /openapi/v3/apis/<group>/<version>`: the session's paths and schema."""
    gvk = {"group": GROUP, "version": VERSION, "kind": KIND}
    schema = dict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
    schema["x-kubernetes-group-version-kind"] = [gvk]
    item = f"/{GROUP_VERSION_PATH}/namespaces/{{namespace}}/{PLURAL}/{{name}}"
    collection = f"/{GROUP_VERSION_PATH}/namespaces/{{namespace}}/{PLURAL}"
    return {
        "openapi": "3.0.0",
        "info": {"title": "Conectafy demo", "version": VERSION},
        "paths": {
            collection: {
                "get": _operation("list", gvk, validated=False),
                "post": _operation("post", gvk, validated=True),
            },
            item: {
                "get": _operation("get", gvk, validated=False),
                "put": _operation("put", gvk, validated=True),
                "patch": _operation("patch", gvk, validated=True),
                "delete": _operation("delete", gvk, validated=False),
            },
        },
        "components": {"schemas": {SCHEMA_NAME: schema}},
    }
