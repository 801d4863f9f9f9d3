"""`kube.Kube` against kmock: one request per call, and 404/409 answered as data, not errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kmock
import kr8s.asyncio
import pytest

from conectafy.operator.kube import SECRETS, SERVICES, Applied, ApplyResult, EventTarget, Kube
from conectafy.operator.manifests import is_drifted
from tests.operator.kopf_harness import (
    EVENTS,
    NAMESPACE,
    ApiServerEmulator,
    declare_resources,
    live,
    requests_to,
    write_kubeconfig,
)

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)


@pytest.fixture
async def kube(kmock: ApiServerEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Kube:
    declare_resources(kmock)
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", str(kmock.url))))
    return Kube(await kr8s.asyncio.api())


def service(port: int = 3000) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "waha-bob", "namespace": NAMESPACE},
        "spec": {"type": "ClusterIP", "ports": [{"name": "http", "port": port}]},
    }


async def test_get_missing_object_is_none(kube: Kube) -> None:
    assert await kube.get_object(SERVICES, NAMESPACE, "nobody") is None


async def test_create_of_an_existing_object_is_none(kube: Kube, kmock: kmock.KubernetesEmulator) -> None:
    await kube.create_object(SERVICES, service())
    assert await kube.create_object(SERVICES, service()) is None


async def test_delete_reports_whether_it_deleted(kube: Kube) -> None:
    await kube.create_object(SERVICES, service())
    assert [await kube.delete_object(SERVICES, NAMESPACE, "waha-bob") for _ in range(2)] == [True, False]


async def test_patch_of_a_missing_object_is_none(kube: Kube) -> None:
    assert await kube.patch_object(SECRETS, NAMESPACE, "nobody", {"data": {}}) is None


async def test_apply_creates_then_leaves_an_unchanged_object_alone(
    kube: Kube, kmock: kmock.KubernetesEmulator
) -> None:
    results = [(await kube.apply_service(service(), is_drifted)).result for _ in range(2)]
    assert results == [ApplyResult.CREATED, ApplyResult.UNCHANGED]
    assert [r.method.upper() for r in requests_to(kmock, "v1/services")] == ["GET", "POST", "GET"]


async def test_apply_patches_a_drifted_object(kube: Kube, kmock: kmock.KubernetesEmulator) -> None:
    await kube.apply_service(service(), is_drifted)
    applied: Applied = await kube.apply_service(service(port=3001), is_drifted)
    assert applied.result is ApplyResult.PATCHED
    assert (live(kmock, "v1/services", "waha-bob") or {})["spec"]["ports"] == [{"name": "http", "port": 3001}]


async def test_post_event_describes_the_session(kube: Kube, kmock: kmock.KubernetesEmulator) -> None:
    target = EventTarget("conectafy.io/v1alpha1", "WhatsAppSession", NAMESPACE, "bob", "uid-bob")
    await kube.post_event(target, "PhaseChanged", "Phase none → Pending.")
    [request] = requests_to(kmock, EVENTS, "POST")
    event = request.data
    assert {key: event[key] for key in ("involvedObject", "reason", "message", "type")} == {
        "involvedObject": {
            "apiVersion": "conectafy.io/v1alpha1",
            "kind": "WhatsAppSession",
            "namespace": NAMESPACE,
            "name": "bob",
            "uid": "uid-bob",
        },
        "reason": "PhaseChanged",
        "message": "Phase none → Pending.",
        "type": "Normal",
    }
