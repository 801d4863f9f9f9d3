"""Issue 4's "Done when", for real: a user registers, creates a session, gets its QR, is connected after a
simulated scan, receives a message live over SSE, replies — and another user sees none of it.

kmock is the one Kubernetes; the operator (KopfRunner, real handlers) and the API (uvicorn, real
PostgreSQL) both talk to it; the WAHA simulator is the session's container. Everything goes through
the API's HTTP endpoints, except two parts no software plays here: the phone (the simulator's
`/_sim/...` control API) and the kubelet. `kmock_pod` plays the kubelet: it starts the container the
operator's Deployment describes (tests/integration/waha_pod.py), then writes the Deployment's status
as the Deployment controller would once that pod is Ready.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from conectafy import labels
from conectafy.kube import decode_secret
from conectafy.operator.identity import child_names
from tests.integration.journey import (
    WAIT,
    Journey,
    check_another_user_sees_none_of_it,
    check_connected_everywhere,
    check_inbound_message_is_live_and_unread,
    check_reply_reaches_the_contact,
    journey_until_connected,
)
from tests.integration.journey_sends import (
    check_a_retried_send_reaches_the_contact_once,
    check_backfill_brings_a_message_webhooks_missed,
)
from tests.integration.waha_pod import AVAILABLE_STATUS, WahaPod, run_waha_container, until
from tests.operator.kopf_harness import (
    DEPLOYMENTS,
    NAMESPACE,
    SECRETS,
    SESSIONS,
    ApiServerEmulator,
    kube_request,
    live,
)

pytestmark = pytest.mark.kmock(cls=ApiServerEmulator)


@contextlib.asynccontextmanager
async def kmock_pod(kube: ApiServerEmulator, session_name: str, port: int) -> AsyncIterator[WahaPod]:
    """The kubelet and the Deployment controller for the session's WAHA (see the module docstring)."""
    names = child_names(session_name)

    async def children() -> tuple[dict[str, object], dict[str, object]] | None:
        deployment, secret = live(kube, DEPLOYMENTS, names.deployment), live(kube, SECRETS, names.secret)
        return (deployment, secret) if deployment and secret else None

    deployment, secret = await until(children, WAIT)
    async with run_waha_container(deployment, names.secret, decode_secret(secret), port) as pod:
        path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{names.deployment}/status"
        await kube_request(kube, "PATCH", path, {"status": AVAILABLE_STATUS}, "application/merge-patch+json")
        yield pod


@pytest.fixture
async def journey(
    kube: ApiServerEmulator, api_url: str, operator: None, waha_port: int
) -> AsyncIterator[Journey]:
    async with journey_until_connected(api_url, lambda name: kmock_pod(kube, name, waha_port)) as connected:
        yield connected


async def test_the_scan_connects_the_session_through_the_webhook_nudge(
    journey: Journey, kube: ApiServerEmulator
) -> None:
    """The operator's WAHA poll is an hour away: Connected came from session.status → API → annotation."""
    await check_connected_everywhere(journey)
    resource = live(kube, SESSIONS, journey.session["name"]) or {}
    assert resource["metadata"]["annotations"][labels.WAHA_STATUS_HINT] == "WORKING"


async def test_an_inbound_message_arrives_live_and_unread(journey: Journey) -> None:
    await check_inbound_message_is_live_and_unread(journey)


async def test_a_reply_reaches_the_contact_and_is_stored_from_me(journey: Journey) -> None:
    await check_reply_reaches_the_contact(journey)


async def test_another_user_sees_none_of_it(journey: Journey) -> None:
    await check_another_user_sees_none_of_it(journey)


async def test_a_retried_send_reaches_the_contact_once(journey: Journey) -> None:
    await check_a_retried_send_reaches_the_contact_once(journey)


async def test_backfill_brings_a_message_webhooks_missed(journey: Journey) -> None:
    await check_backfill_brings_a_message_webhooks_missed(journey)
