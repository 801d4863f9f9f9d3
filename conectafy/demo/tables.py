"""What a real API server computes for list requests and kubectl's Table requests, on plain dicts.

Pure: the demo API server (kubeapi.py) hands these its stored objects.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

#: `.a.b`, `.a[?(@.k=="v")].b` — the JSONPath forms the CRD's printer columns use.
_FILTER = re.compile(r"^(?P<list>[\w.]*)\[\?\(@\.(?P<key>\w+)==\"(?P<value>[^\"]*)\"\)\](?P<rest>[\w.]*)$")


def _dig(obj: Any, dotted: str) -> Any:
    for part in [p for p in dotted.split(".") if p]:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def json_path(obj: dict[str, Any], path: str) -> Any:
    """The value of a printer column's jsonPath in `obj` (None when absent)."""
    match = _FILTER.match(path)
    if match is None:
        return _dig(obj, path)
    for item in _dig(obj, match["list"]) or []:
        if isinstance(item, dict) and str(item.get(match["key"])) == match["value"]:
            return _dig(item, match["rest"])
    return None


def _requirements(selector: str | None) -> list[tuple[str, str, str]]:
    """`a=b,c!=d,e` → [(a, "=", b), (c, "!=", d), (e, "exists", "")] (equality-based selectors)."""
    found = []
    for term in [t.strip() for t in (selector or "").split(",") if t.strip()]:
        if "!=" in term:
            key, value = term.split("!=", 1)
            found.append((key.strip(), "!=", value.strip()))
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            found.append((key.strip(), "=", value.strip()))
        else:
            found.append((term.lstrip("!"), "absent" if term.startswith("!") else "exists", ""))
    return found


def _matches(values: dict[str, Any], requirements: list[tuple[str, str, str]]) -> bool:
    for key, operator, wanted in requirements:
        have = values.get(key)
        if operator == "=" and str(have if have is not None else "") != wanted:
            return False
        if (operator == "!=" and have is not None and str(have) == wanted) or (
            operator == "exists" and have is None
        ):
            return False
        if operator == "absent" and have is not None:
            return False
    return True


def select(items: list[dict[str, Any]], labels: str | None, fields: str | None) -> list[dict[str, Any]]:
    """The items a label selector and a field selector (dotted paths) both match."""
    label_terms, field_terms = _requirements(labels), _requirements(fields)
    return [
        item
        for item in items
        if _matches((item.get("metadata") or {}).get("labels") or {}, label_terms)
        and _matches({key: _dig(item, key) for key, _, _ in field_terms}, field_terms)
    ]


def age(timestamp: str | None, now: datetime) -> str:
    """A `date` column as the API server prints it: the largest units that fit (45s, 12m, 5h, 3d)."""
    if not timestamp:
        return "<unknown>"
    seconds = max(0, int((now - datetime.fromisoformat(timestamp.replace("Z", "+00:00"))).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _cell(item: dict[str, Any], column: dict[str, Any], now: datetime) -> Any:
    value = json_path(item, column["jsonPath"])
    return age(value, now) if column["type"] == "date" else value


def session_table(
    items: list[dict[str, Any]], crd: dict[str, Any], list_meta: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table of sessions: NAME, then the CRD's additionalPrinterColumns."""
    columns = crd["spec"]["versions"][0]["additionalPrinterColumns"]
    definitions = [
        {"name": "Name", "type": "string", "format": "name", "priority": 0, "description": "Name"},
        *(
            {
                "name": c["name"],
                "type": c["type"],
                "format": "",
                "priority": c.get("priority", 0),
                "description": c.get("description", ""),
            }
            for c in columns
        ),
    ]
    rows = [
        {
            "cells": [item["metadata"]["name"], *(_cell(item, c, now) for c in columns)],
            "object": {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": item.get("metadata") or {},
            },
        }
        for item in items
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": list_meta.get("resourceVersion", "")},
        "columnDefinitions": definitions,
        "rows": rows,
    }
