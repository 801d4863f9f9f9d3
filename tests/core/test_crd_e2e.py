"""The generated CRD on a real kube-apiserver: it installs, defaults, validates, keeps status, prints.

Needs only a kube-apiserver (no kubelet, no operator): nothing here runs a pod.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import kr8s.asyncio
import pytest
import yaml

from conectafy.session import API_VERSION, GROUP, PLURAL, VERSION, WhatsAppSessionSpec, WhatsAppSessionStatus
from tests.support.apiserver import MERGE_PATCH, apply_crd, call, temporary_namespace

pytestmark = pytest.mark.e2e

EXAMPLE = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "session.yaml").read_text())
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
STATUS = {
    "phase": "Connected",
    "waStatus": "WORKING",
    "phoneNumber": "+15550001111",
    "pushName": "Acme Support",
    "endpoint": "http://waha-e2e.ns.svc:3000",
    "wahaSession": "default",
    "image": "devlikeapro/waha:gows-2026.8.2",
    "observedGeneration": 1,
    "lastConnectedAt": "2026-11-28T10:00:00Z",
    "failureCount": 1,
    "lastRestartAt": "2026-11-28T09:00:00Z",
    "conditions": [
        {
            "type": "Ready",
            "status": "True",
            "reason": "WorkloadAvailable",
            "message": "ready",
            "lastTransitionTime": "2026-11-28T10:00:00Z",
            "observedGeneration": 1,
        },
        {
            "type": "Connected",
            "status": "True",
            "reason": "Working",
            "message": "WORKING",
            "lastTransitionTime": "2026-11-28T10:00:00Z",
            "observedGeneration": 1,
        },
    ],
}


@pytest.fixture
async def api() -> kr8s.asyncio.Api:
    client = await kr8s.asyncio.api()
    await apply_crd(client)
    return client


@pytest.fixture
async def namespace(api: kr8s.asyncio.Api) -> AsyncIterator[str]:
    async with temporary_namespace(api, "conectafy-e2e-crd") as name:
        yield name


def session(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "WhatsAppSession", "metadata": {"name": name}, "spec": spec}


async def create(api: kr8s.asyncio.Api, namespace: str, body: dict[str, Any]) -> Any:
    return await call(api, "POST", f"{GROUP}/{VERSION}", PLURAL, namespace=namespace, body=body)


async def test_discovery_announces_short_name_and_category(api: kr8s.asyncio.Api) -> None:
    discovery = (await call(api, "GET", "", f"{GROUP}/{VERSION}")).json()
    (resource,) = [r for r in discovery["resources"] if r["name"] == PLURAL]
    assert (resource["kind"], resource["namespaced"], resource["shortNames"], resource["categories"]) == (
        "WhatsAppSession",
        True,
        ["wa"],
        ["conectafy"],
    )


async def test_example_is_accepted_and_defaulted_like_the_model(
    api: kr8s.asyncio.Api, namespace: str
) -> None:
    body = copy.deepcopy(EXAMPLE)
    response = await create(api, namespace, body)
    assert response.status_code == 201, response.text
    assert response.json()["spec"] == WhatsAppSessionSpec.model_validate(EXAMPLE["spec"]).to_k8s()


async def test_empty_spec_is_defaulted_like_the_model(api: kr8s.asyncio.Api, namespace: str) -> None:
    response = await create(
        api, namespace, {"apiVersion": API_VERSION, "kind": "WhatsAppSession", "metadata": {"name": "bare"}}
    )
    assert response.status_code == 201, response.text
    assert response.json()["spec"] == WhatsAppSessionSpec().to_k8s()


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("engine", {"engine": "WPP"}, "spec.engine"),
        ("owner", {"owner": "has spaces"}, "spec.owner"),
        ("size", {"storage": {"size": "lots"}}, "spec.storage.size"),
        ("events", {"webhook": {"events": []}}, "spec.webhook.events"),
        ("a" * 53, {}, "at most 52 characters"),
        ("has.dot", {}, "no dots"),
    ],
)
async def test_invalid_session_is_rejected(
    api: kr8s.asyncio.Api, namespace: str, name: str, spec: dict[str, Any], message: str
) -> None:
    response = await create(api, namespace, session(name, spec))
    assert (response.status_code, message in response.json()["message"]) == (422, True), response.text


async def test_owner_cannot_change_once_set(api: kr8s.asyncio.Api, namespace: str) -> None:
    assert (await create(api, namespace, session("owned", {"owner": "u1"}))).status_code == 201
    response = await call(
        api,
        "PATCH",
        f"{GROUP}/{VERSION}",
        f"{PLURAL}/owned",
        namespace=namespace,
        body={"spec": {"owner": "u2"}},
        content_type=MERGE_PATCH,
    )
    message = response.json()["message"]
    assert (response.status_code, "spec.owner is immutable once set" in message) == (422, True), message


async def test_owner_can_be_set_once(api: kr8s.asyncio.Api, namespace: str) -> None:
    assert (await create(api, namespace, session("unowned", {}))).status_code == 201
    response = await call(
        api,
        "PATCH",
        f"{GROUP}/{VERSION}",
        f"{PLURAL}/unowned",
        namespace=namespace,
        body={"spec": {"owner": "u1"}},
        content_type=MERGE_PATCH,
    )
    assert (response.status_code, response.json()["spec"]["owner"]) == (200, "u1"), response.text


async def test_every_status_field_survives_pruning(api: kr8s.asyncio.Api, namespace: str) -> None:
    assert (await create(api, namespace, session("status", {}))).status_code == 201
    response = await call(
        api,
        "PATCH",
        f"{GROUP}/{VERSION}",
        f"{PLURAL}/status/status",
        namespace=namespace,
        body={"status": STATUS},
        content_type=MERGE_PATCH,
    )
    assert response.status_code == 200, response.text
    stored = (await call(api, "GET", f"{GROUP}/{VERSION}", f"{PLURAL}/status", namespace=namespace)).json()
    expected = WhatsAppSessionStatus.model_validate(STATUS)
    assert WhatsAppSessionStatus.model_validate(stored["status"]) == expected


async def test_printer_columns(api: kr8s.asyncio.Api, namespace: str) -> None:
    assert (await create(api, namespace, session("table", {}))).status_code == 201
    await call(
        api,
        "PATCH",
        f"{GROUP}/{VERSION}",
        f"{PLURAL}/table/status",
        namespace=namespace,
        body={"status": STATUS},
        content_type=MERGE_PATCH,
    )
    table = (await call(api, "GET", f"{GROUP}/{VERSION}", PLURAL, namespace=namespace, accept=TABLE)).json()
    columns = [(column["name"], column.get("priority", 0)) for column in table["columnDefinitions"]]
    (row,) = table["rows"]
    cells = [cell for index, cell in enumerate(row["cells"]) if columns[index][0] != "Age"]
    assert (columns, cells) == (
        [("Name", 0), ("Phase", 0), ("Phone", 0), ("Engine", 0), ("Ready", 0), ("Age", 0), ("Image", 1)],
        ["table", "Connected", "+15550001111", "GOWS", "True", "devlikeapro/waha:gows-2026.8.2"],
    )


async def patch_spec(api: kr8s.asyncio.Api, namespace: str, name: str, spec: dict[str, Any]) -> Any:
    return await call(
        api,
        "PATCH",
        f"{GROUP}/{VERSION}",
        f"{PLURAL}/{name}",
        namespace=namespace,
        body={"spec": spec},
        content_type=MERGE_PATCH,
    )


@pytest.mark.parametrize(
    ("storage", "field_path", "message"),
    [
        ({"size": "1Gi"}, "spec.storage.size", "spec.storage.size cannot shrink"),
        ({"size": "2047Mi"}, "spec.storage.size", "spec.storage.size cannot shrink"),
        ({"storageClassName": "slow"}, "spec.storage.storageClassName", "storageClassName is immutable"),
        ({"storageClassName": None}, "spec.storage.storageClassName", "storageClassName is immutable"),
    ],
)
async def test_storage_change_the_volume_cannot_follow_is_rejected(
    api: kr8s.asyncio.Api, namespace: str, storage: dict[str, Any], field_path: str, message: str
) -> None:
    volume = {"storage": {"size": "2Gi", "storageClassName": "fast"}}
    created = await create(api, namespace, session("vol", volume))
    assert created.status_code == 201, created.text
    response = await patch_spec(api, namespace, "vol", {"storage": storage})
    text = response.json()["message"]
    found = (f"{field_path}: Invalid value" in text, message in text)
    assert (response.status_code, found) == (422, (True, True)), text


async def test_storage_class_cannot_be_set_later(api: kr8s.asyncio.Api, namespace: str) -> None:
    assert (await create(api, namespace, session("default-class", {}))).status_code == 201
    response = await patch_spec(api, namespace, "default-class", {"storage": {"storageClassName": "fast"}})
    text = response.json()["message"]
    assert (response.status_code, "storageClassName is immutable" in text) == (422, True), text


async def test_storage_can_grow_in_any_spelling(api: kr8s.asyncio.Api, namespace: str) -> None:
    assert (await create(api, namespace, session("grow", {"storage": {"size": "1Gi"}}))).status_code == 201
    grown = await patch_spec(api, namespace, "grow", {"storage": {"size": "1536Mi"}})
    same = await patch_spec(api, namespace, "grow", {"storage": {"size": "1.5Gi"}})
    size = same.json()["spec"]["storage"]["size"]
    assert (grown.status_code, same.status_code, size) == (200, 200, "1.5Gi")
