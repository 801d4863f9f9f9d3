"""`conectafy.kube.children` against kmock: what goes on the wire for a server-side apply, and how
the answers (409 on create, 422) come back. kmock emulates apply only roughly (tests/operator/
kopf_harness.py); the real merge semantics are checked on a real API server in tests/e2e."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conectafy.kube import Invalid, KubeClient
from conectafy.kube.children import FIELD_MANAGER, apply_child, create_child
from conectafy.kube.client import SERVICES
from tests.operator.kopf_harness import (
    NAMESPACE,
    ApiServerEmulator,
    declare_resources,
    live,
    requests_to,
    write_kubeconfig,
)

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)


@pytest.fixture
def client(kmock: ApiServerEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KubeClient:
    declare_resources(kmock)
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", str(kmock.url))))
    return KubeClient.from_config()


def service(port: int = 3000) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "waha-bob", "namespace": NAMESPACE},
        "spec": {"type": "ClusterIP", "ports": [{"name": "http", "port": port}]},
    }


async def test_apply_is_one_forced_apply_patch_as_our_field_manager(
    client: KubeClient, kmock: ApiServerEmulator
) -> None:
    await apply_child(client, SERVICES, service())
    [request] = requests_to(kmock, "v1/services")
    content_type = next(v for k, v in request.headers.items() if k.lower() == "content-type")
    assert (request.method, request.params, content_type, json.loads(request.body)) == (
        "PATCH",
        {"fieldManager": FIELD_MANAGER, "force": "true"},
        "application/apply-patch+yaml",
        service(),
    )


async def test_apply_answers_with_the_stored_object(client: KubeClient, kmock: ApiServerEmulator) -> None:
    stored = await apply_child(client, SERVICES, service(port=3001))
    assert (
        stored["spec"]["ports"]
        == [{"name": "http", "port": 3001}]
        == (live(kmock, "v1/services", "waha-bob") or {})["spec"]["ports"]
    )


async def test_create_of_a_taken_name_is_none_not_an_error(client: KubeClient) -> None:
    assert await create_child(client, SERVICES, service()) is not None
    assert await create_child(client, SERVICES, service(port=1)) is None


async def test_422_is_invalid(client: KubeClient, kmock: ApiServerEmulator) -> None:
    (
        kmock["patch /api/v1/namespaces/tenant-a/services/waha-bob"]
        << 422
        << {"message": "spec.ports: Invalid value"}
    )
    with pytest.raises(Invalid, match="Invalid value") as raised:
        await apply_child(client, SERVICES, service())
    assert raised.value.status == 422
