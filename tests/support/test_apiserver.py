"""The e2e helpers against kmock answering with the shapes a real API server sends (nulls included)."""

from __future__ import annotations

from typing import Any

import kmock
import kr8s.asyncio
import pytest

from conectafy.crd import CRD_NAME, build_crd
from conectafy.session import GROUP, PLURAL, VERSION
from tests.support.apiserver import field, wait_crd_served

CRD_PATH = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CRD_NAME}"
ESTABLISHED = {"conditions": [{"type": "Established", "status": "True"}]}


@pytest.mark.parametrize(
    ("obj", "path", "expected"),
    [
        ({"status": {"conditions": [1]}}, ("status", "conditions"), [1]),
        ({"status": {"conditions": None}}, ("status", "conditions"), None),
        ({"status": None}, ("status", "conditions"), None),
        ({}, ("status", "conditions"), None),
        (None, ("status",), None),
        ({"spec": {"replicas": 0}}, ("spec", "replicas"), 0),
        ({"metadata": {"labels": "not-a-map"}}, ("metadata", "labels", "x"), None),
    ],
)
def test_field_reads_through_missing_and_null_levels(obj: Any, path: tuple[str, ...], expected: Any) -> None:
    assert field(obj, *path) == expected


async def test_wait_crd_served_tolerates_null_status(kmock: kmock.KubernetesEmulator) -> None:
    """Right after creation a real API server returns the CRD with `status.conditions: null`."""
    answers = iter([{"status": None}, {"status": {"conditions": None}}, {"status": ESTABLISHED}])
    stored: list[dict[str, Any]] = []

    def crd() -> dict[str, Any]:
        stored.append({**build_crd(), **next(answers, {"status": ESTABLISHED})})
        return stored[-1]

    kmock[f"get {CRD_PATH}"] << crd
    kmock[f"get /apis/{GROUP}/{VERSION}/{PLURAL}"] << {"kind": "WhatsAppSessionList", "items": []}
    kmock["get /version/"] << {"major": "1", "minor": "33", "gitVersion": "v1.33.0"}
    api = await kr8s.asyncio.api(url=str(kmock.url).rstrip("/"))
    result = await wait_crd_served(api, build_crd(), seconds=10)
    assert (result["status"], len(stored)) == (ESTABLISHED, 3)
