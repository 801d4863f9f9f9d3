"""SessionDirectory against kmock: keys cached from watches, one read on a miss, nudges debounced."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import kmock
import pytest

from conectafy.api.session_directory import SessionDirectory
from conectafy.kube import Kube, KubeUnavailable, WatchEvent
from conectafy.session import ObjectMeta, WhatsAppSession
from tests.support.kube import (
    eventually,
    operator_creates_secret,
    operator_writes_status,
    prepare_kmock,
    requests_to,
)

NAMESPACE = "conectafy-test"
SECRET_PATH = f"/api/v1/namespaces/{NAMESPACE}/secrets/waha-support-abcde"


@pytest.fixture
async def kube(kmock: kmock.KubernetesEmulator) -> AsyncIterator[Kube]:
    prepare_kmock(kmock)
    client = Kube(NAMESPACE, url=str(kmock.url))
    yield client
    await client.aclose()


@pytest.fixture
def directory(kube: Kube) -> SessionDirectory:
    return SessionDirectory(
        kube,
        waha_url_template="http://{service}.{namespace}.svc:{port}",
        waha_port=3000,
        nudge_debounce=60.0,
        miss_ttl=60.0,
    )


@pytest.fixture
async def watching(directory: SessionDirectory) -> AsyncIterator[SessionDirectory]:
    task = asyncio.create_task(directory.run())
    yield directory
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
async def resource(kube: Kube) -> WhatsAppSession:
    created: WhatsAppSession = await kube.create_session(
        WhatsAppSession(metadata=ObjectMeta(name="support-abcde"))
    )
    return created


async def test_webhook_key_comes_from_the_watch_without_a_read(
    kmock: kmock.KubernetesEmulator, watching: SessionDirectory
) -> None:
    await operator_creates_secret(
        kmock, NAMESPACE, "support-abcde", {"webhook-hmac-key": "k1", "api-key": "a1"}
    )
    await eventually(lambda: _cached(watching, "support-abcde", True))
    assert [await watching.webhook_key("support-abcde") for _ in range(5)] == ["k1"] * 5
    assert requests_to(kmock, SECRET_PATH) == 0


async def test_a_cache_miss_reads_the_secret_once(
    kmock: kmock.KubernetesEmulator, directory: SessionDirectory
) -> None:
    await operator_creates_secret(kmock, NAMESPACE, "support-abcde", {"webhook-hmac-key": "k1"})
    assert [await directory.webhook_key("support-abcde") for _ in range(3)] == ["k1", "k1", "k1"]
    assert requests_to(kmock, SECRET_PATH) == 1


async def test_an_absent_secret_is_not_read_again_within_the_miss_ttl(
    kmock: kmock.KubernetesEmulator, directory: SessionDirectory
) -> None:
    assert [await directory.webhook_key("support-abcde") for _ in range(3)] == [None, None, None]
    assert requests_to(kmock, SECRET_PATH) == 1


async def test_once_synced_an_unknown_session_costs_no_read(
    kmock: kmock.KubernetesEmulator, watching: SessionDirectory
) -> None:
    await eventually(lambda: _synced(watching))
    assert [await watching.webhook_key("made-up-name") for _ in range(3)] == [None, None, None]
    assert requests_to(kmock, f"/api/v1/namespaces/{NAMESPACE}/secrets/") == 0


async def test_once_synced_a_known_session_still_reads_its_secret_on_a_miss(
    kmock: kmock.KubernetesEmulator, directory: SessionDirectory, resource: WhatsAppSession
) -> None:
    await operator_creates_secret(kmock, NAMESPACE, "support-abcde", {"webhook-hmac-key": "k1"})
    async for event in directory.kube.watch_sessions():  # the initial list, as run() sees it
        await directory.apply_session_event(event)
        if event.type == "SYNCED":
            break
    assert await directory.webhook_key("support-abcde") == "k1"
    assert requests_to(kmock, SECRET_PATH) == 1


def _synced(directory: SessionDirectory) -> None:
    assert directory._known is not None


async def test_secrets_that_are_not_a_sessions_own_are_ignored(directory: SessionDirectory) -> None:
    foreign = {
        "metadata": {"name": "db-password", "labels": {"conectafy.io/session": "support-abcde"}},
        "data": {"webhook-hmac-key": "Zm9yZ2Vk"},
    }
    await directory.apply_secret_event(WatchEvent(type="ADDED", object=foreign))
    assert directory._secrets == {}


async def test_a_deleted_secret_leaves_the_cache(
    watching: SessionDirectory, kmock: kmock.KubernetesEmulator
) -> None:
    await operator_creates_secret(kmock, NAMESPACE, "support-abcde", {"webhook-hmac-key": "k1"})
    await eventually(lambda: _cached(watching, "support-abcde", True))
    async with kmock.delete(SECRET_PATH) as response:
        assert response.status == 200
    await eventually(lambda: _cached(watching, "support-abcde", False))


def _cached(directory: SessionDirectory, name: str, expected: bool) -> None:
    assert (name in directory._secrets) is expected


async def test_the_waha_url_is_the_published_endpoint(
    kmock: kmock.KubernetesEmulator, watching: SessionDirectory, resource: WhatsAppSession
) -> None:
    await operator_writes_status(kmock, NAMESPACE, "support-abcde", {"endpoint": "http://10.0.0.7:3000"})

    def published() -> None:
        assert watching.base_url("support-abcde") == "http://10.0.0.7:3000"

    await eventually(published)


def test_the_waha_url_falls_back_to_the_template(directory: SessionDirectory) -> None:
    assert directory.base_url("support-abcde") == "http://waha-support-abcde.conectafy-test.svc:3000"


async def test_nudge_annotates_the_resource(
    kmock: kmock.KubernetesEmulator, directory: SessionDirectory, resource: WhatsAppSession
) -> None:
    assert await directory.nudge("support-abcde", "WORKING") is True
    annotations = (await directory.kube.get_session("support-abcde")).metadata.annotations
    assert list(annotations) == ["conectafy.io/wahaStatus", "conectafy.io/wahaStatusAt"]
    assert annotations["conectafy.io/wahaStatus"] == "WORKING"


async def test_nudge_is_debounced_per_status(
    kmock: kmock.KubernetesEmulator, directory: SessionDirectory, resource: WhatsAppSession
) -> None:
    results = [await directory.nudge("support-abcde", status) for status in ("WORKING", "WORKING", "FAILED")]
    assert results == [True, False, True]
    patches = [request for request in kmock if request.method == "PATCH"]
    assert len(patches) == 2


async def test_each_nudge_changes_the_time_the_operator_watches(
    kmock: kmock.KubernetesEmulator, directory: SessionDirectory, resource: WhatsAppSession
) -> None:
    """WAHA sends SCAN_QR_CODE, STARTING and WORKING within one second of a scan: each must re-trigger."""
    times = []
    for status in ("SCAN_QR_CODE", "STARTING", "WORKING"):
        assert await directory.nudge("support-abcde", status) is True
        annotations = (await directory.kube.get_session("support-abcde")).metadata.annotations
        times.append(annotations["conectafy.io/wahaStatusAt"])
    assert len(set(times)) == 3


async def test_nudge_of_a_missing_resource_is_not_an_error(directory: SessionDirectory) -> None:
    assert await directory.nudge("gone-abcde", "WORKING") is False


async def test_kubernetes_check_fails_when_unreachable() -> None:
    directory = SessionDirectory(Kube(NAMESPACE, url="http://127.0.0.1:9"), waha_url_template="", waha_port=1)
    with pytest.raises(KubeUnavailable):
        await directory.check_kubernetes()


async def test_listing_returns_only_the_owners_sessions(kube: Kube) -> None:
    for name, owner in (("a-aaaaa", "alice"), ("b-bbbbb", "bob"), ("c-ccccc", "alice")):
        await kube.create_session(
            WhatsAppSession(metadata=ObjectMeta(name=name, labels={"conectafy.io/owner": owner}))
        )
    assert sorted(session.metadata.name for session in await kube.list_sessions("alice")) == [
        "a-aaaaa",
        "c-ccccc",
    ]
