"""Derived session keys: what the operator writes into a session's Secret is what the API computes."""

from __future__ import annotations

import hashlib

import kmock
import pytest

from conectafy.api.session_directory import SessionDirectory
from conectafy.kube import Kube, WatchEvent
from conectafy.operator.identity import SessionRef
from conectafy.operator.manifests import API_KEY, API_KEY_SHA512, WEBHOOK_HMAC_KEY, derived_secret_data
from conectafy.session import WhatsAppSessionSpec
from conectafy.session_keys import derive_key, session_keys

MASTER = "m" * 64


def _ref(namespace: str, name: str = "support-abcde") -> SessionRef:
    return SessionRef(name=name, namespace=namespace, uid="u", generation=1, spec=WhatsAppSessionSpec())


def test_keys_differ_per_namespace_purpose_and_master() -> None:
    keys = {
        derive_key(MASTER, purpose=purpose, namespace=namespace, name="support-abcde")
        for purpose in ("waha-api-key", "webhook-hmac-key")
        for namespace in ("tenant-a", "tenant-b")
    } | {derive_key("other" * 10, purpose="waha-api-key", namespace="tenant-a", name="support-abcde")}
    assert len(keys) == 5 and all(len(key) == 43 for key in keys)


def test_the_operators_secret_holds_the_keys_the_api_derives() -> None:
    data = derived_secret_data(MASTER, _ref("tenant-a"))
    api_key, webhook_key = session_keys(MASTER, namespace="tenant-a", name="support-abcde")
    assert data == {
        API_KEY: api_key,
        API_KEY_SHA512: "sha512:" + hashlib.sha512(api_key.encode()).hexdigest(),
        WEBHOOK_HMAC_KEY: webhook_key,
    }


@pytest.fixture
async def directory(kmock: kmock.KubernetesEmulator) -> SessionDirectory:
    kube = Kube("tenant-a", url=str(kmock.url))
    directory = SessionDirectory(kube, waha_url_template="http://x", waha_port=3000, key_master=MASTER)
    await directory.apply_session_event(WatchEvent("SYNCED", {"names": ["support-abcde"]}))
    return directory


async def test_the_api_derives_a_sessions_webhook_key_without_reading_a_secret(
    directory: SessionDirectory, kmock: kmock.KubernetesEmulator
) -> None:
    key = await directory.webhook_key("support-abcde")
    assert (key, len(list(kmock))) == (derived_secret_data(MASTER, _ref("tenant-a"))[WEBHOOK_HMAC_KEY], 0)
    await directory.kube.aclose()


async def test_an_unknown_session_has_no_derived_key(directory: SessionDirectory) -> None:
    assert await directory.webhook_key("made-up-abcde") is None
    await directory.kube.aclose()
