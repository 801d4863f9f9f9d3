"""Issue 10's convergence, for real: two API replicas and one operator on kmock, real PostgreSQL and the
WAHA simulator. Sessions are created through the API and with plain resource creation (`kubectl`),
changed, and deleted while one replica is stopped; both replicas' views end up equal to the resources.
"""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from conectafy import labels
from conectafy.api.main import create_app
from conectafy.settings import ApiSettings, OperatorSettings
from tests.api.dataplane import serve
from tests.integration.journey import WAIT, create_session, register
from tests.integration.test_journey import kmock_pod
from tests.integration.waha_pod import until
from tests.operator.kopf_harness import NAMESPACE, SESSIONS, ApiServerEmulator, kube_request, session_body
from tests.support.kube import session_path

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)
Headers = dict[str, str]
#: Both sides derive the sessions' keys from it: the API reads no Secret (least privilege).
MASTER = SecretStr("integration-session-key-master-" + "k" * 32)


@pytest.fixture
def journey_settings(journey_settings: ApiSettings) -> ApiSettings:
    return journey_settings.model_copy(update={"session_key_master": MASTER})


@pytest.fixture
def operator_settings(operator_settings: OperatorSettings) -> OperatorSettings:
    return operator_settings.model_copy(update={"session_key_master": MASTER})


def _expected(kube: ApiServerEmulator, owner: str) -> list[tuple[str, str, bool]]:
    """What a dashboard must show: every live resource labelled with the owner, as the resource says."""
    rows = []
    for key, obj in list(kube.objects.items()):
        if key[0] != SESSIONS or obj.deleted:
            continue
        raw = dict(obj.raw)
        if raw["metadata"].get("deletionTimestamp"):
            continue
        if (raw["metadata"].get("labels") or {}).get(labels.OWNER) != owner:
            continue
        phase = (raw.get("status") or {}).get("phase", "Pending")
        rows.append((raw["metadata"]["name"], phase, bool(raw["spec"].get("paused", False))))
    return sorted(rows)


async def _view(url: str, user: Headers) -> list[tuple[str, str, bool]]:
    async with httpx.AsyncClient(base_url=url) as http:
        listed = (await http.get("/api/sessions", headers=user)).json()
    return sorted((item["name"], item["phase"], item["paused"]) for item in listed)


async def _converged(kube: ApiServerEmulator, urls: list[str], user: Headers, owner: str) -> None:
    async def same() -> bool:
        expected = _expected(kube, owner)
        return all([await _view(url, user) == expected for url in urls])

    await until(same, WAIT)


async def _kubectl_create(kube: ApiServerEmulator, name: str, owner: str) -> None:
    body = session_body(name, f"uid-{name}", {"owner": owner}, labels={labels.OWNER: owner})
    await kube_request(kube, "POST", session_path(NAMESPACE), body)


async def _owner_id(db_pool: asyncpg.Pool) -> str:
    return str(await db_pool.fetchval("SELECT id FROM users"))


async def test_both_replicas_converge_to_the_resources(
    kube: ApiServerEmulator,
    api_url: str,
    operator: None,
    waha_port: int,
    db_pool: asyncpg.Pool,
    journey_settings: ApiSettings,
) -> None:
    """Replica A is `api_url`; replica B runs, stops while sessions are deleted and created, and comes
    back. Whichever led when B stopped, the projection continues and both views equal the resources."""
    async with httpx.AsyncClient(base_url=api_url) as http:
        user = await register(http, "owner")
        owner = await _owner_id(db_pool)
        async with serve(create_app(journey_settings)) as replica_b:
            through_api = await create_session(http, user, "support")
            kept = await create_session(http, user, "sales")
            await _kubectl_create(kube, "from-kubectl", owner)
            await _kubectl_create(kube, "doomed", owner)
            async with kmock_pod(kube, through_api["name"], waha_port):  # the operator sees WAHA's QR
                await _converged(kube, [api_url, replica_b], user, owner)
                await until(lambda: _qr_announced(db_pool), WAIT)  # a webhook verified with derived keys
                stopped = await http.post(f"/api/sessions/{kept['id']}/stop", headers=user)
                assert stopped.status_code == 200, stopped.text
                await _converged(kube, [api_url, replica_b], user, owner)
        # Replica B is stopped: a deletion and a creation happen without it.
        await kube_request(kube, "DELETE", session_path(NAMESPACE, "doomed"))
        await _kubectl_create(kube, "latecomer", owner)
        async with serve(create_app(journey_settings)) as replica_b:
            await _converged(kube, [api_url, replica_b], user, owner)
    names = [name for name, _, _ in _expected(kube, owner)]
    assert ("doomed" in names, "latecomer" in names, len(names)) == (False, True, 4)


async def _qr_announced(pool: asyncpg.Pool) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM events WHERE type = 'qr'"))
