"""The operator's session Secret with a session key master: derived keys, replacing stored ones once."""

from __future__ import annotations

from pathlib import Path

import pytest

from conectafy.kube import KubeClient, decode_secret
from conectafy.operator.cache import Ledger
from conectafy.operator.children import ensure_secret
from conectafy.operator.identity import SessionRef, child_names
from conectafy.operator.manifests import DASHBOARD_PASSWORD, derived_secret_data
from conectafy.session import WhatsAppSessionSpec
from tests.operator.kopf_harness import (
    NAMESPACE,
    SECRETS,
    ApiServerEmulator,
    declare_resources,
    live,
    write_kubeconfig,
)

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)
MASTER = "operator-test-master-" + "m" * 40
REF = SessionRef(name="support", namespace=NAMESPACE, uid="uid-1", generation=1, spec=WhatsAppSessionSpec())


@pytest.fixture
def client(kmock: ApiServerEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KubeClient:
    declare_resources(kmock)
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", str(kmock.url))))
    return KubeClient.from_config()


def _stored(kmock: ApiServerEmulator) -> dict[str, str]:
    return decode_secret(live(kmock, SECRETS, child_names("support").secret) or {})


async def test_a_new_secret_holds_the_keys_the_api_derives(
    client: KubeClient, kmock: ApiServerEmulator
) -> None:
    data, _ = await ensure_secret(client, Ledger(), REF, None, MASTER)
    stored = _stored(kmock)
    assert (data, {k: v for k, v in stored.items() if k != DASHBOARD_PASSWORD}) == (
        stored,
        derived_secret_data(MASTER, REF),
    )
    await client.aclose()


async def test_random_keys_of_an_existing_secret_are_replaced_by_derived_ones(
    client: KubeClient, kmock: ApiServerEmulator
) -> None:
    await ensure_secret(client, Ledger(), REF, None)  # before the chart set a master: random keys
    before = _stored(kmock)
    await ensure_secret(client, Ledger(), REF, None, MASTER)
    after = _stored(kmock)
    assert (after[DASHBOARD_PASSWORD], {k: v for k, v in after.items() if k != DASHBOARD_PASSWORD}) == (
        before[DASHBOARD_PASSWORD],
        derived_secret_data(MASTER, REF),
    )
    await client.aclose()
