"""Webhook retries like WAHA's: same request id and body, order kept, redelivery after downtime.

A real receiver listens on 127.0.0.1; delays are scaled down so nothing waits real seconds.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from conectafy.simulator import RunningSimulator, run_simulator
from conectafy.simulator.config import RetryPolicy
from conectafy.simulator.webhook_sender import WebhookTarget, retry_delay
from conectafy.waha.webhooks import parse_webhook, verify_signature
from tests.simulator.support import (
    HMAC_KEY,
    Receiver,
    events,
    eventually,
    fast_config,
    scan,
    statuses,
)


async def test_failed_delivery_is_retried_with_the_same_request_id_and_body(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    waha, http = waha_client
    await scan(waha, http)
    start = len(hook.received)
    hook.fail_next = 2
    await http.post("/_sim/messages", json={"from": "15550002222", "text": "retry test"})
    await hook.wait_until(lambda got: len(got) >= start + 3)
    attempts = hook.received[start : start + 3]
    assert (
        len({(a.body, a.header("X-Webhook-Request-Id"), a.header("X-Webhook-Timestamp")) for a in attempts})
        == 1
    )
    for attempt in attempts:
        verify_signature(attempt.body, dict(attempt.headers), HMAC_KEY)
    log = [
        (d["attempt"], d["statusCode"])
        for d in (await http.get("/_sim/webhooks")).json()
        if d["requestId"] == attempts[0].header("X-Webhook-Request-Id")
    ]
    assert log == [(0, 500), (1, 500), (2, 200)]


async def test_later_events_wait_for_a_retried_one(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    waha, http = waha_client
    await scan(waha, http)
    start = len(hook.received)
    hook.fail_next = 2
    await http.post("/_sim/messages", json={"from": "15550002222", "text": "first"})
    await http.post("/_sim/messages", json={"from": "15550002222", "text": "second"})
    await hook.wait_until(lambda got: len(got) >= start + 6)
    await waha.sim.sender.join()
    seen = [(e["event"], e["payload"]["body"]) for e in events(hook.received[start:])]
    assert seen == [("message", "first")] * 3 + [
        ("message.any", "first"),
        ("message", "second"),
        ("message.any", "second"),
    ]


async def test_delivery_gives_up_after_the_configured_attempts(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    waha, http = waha_client
    await scan(waha, http)
    start = len(hook.received)
    hook.fail_next = 4  # 1 + 3 attempts of `message`, then `message.any` succeeds
    await http.post("/_sim/messages", json={"from": "15550002222", "text": "lost"})
    await hook.wait_until(lambda got: len(got) >= start + 5)
    await waha.sim.sender.join()
    assert [e["event"] for e in events(hook.received[start:])] == ["message"] * 4 + ["message.any"]
    lost = [(d.attempt, d.status_code, d.delivered) for d in waha.sim.sender.log if d.event == "message"]
    assert lost == [(0, 500, False), (1, 500, False), (2, 500, False), (3, 500, False)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_receiver_that_was_down_gets_the_event_when_back() -> None:
    port = _free_port()
    config = fast_config(
        webhook_url=f"http://127.0.0.1:{port}/global",
        hmac_key=HMAC_KEY,
        retry_attempts=500,
        retry_delay_seconds=0.01,
        start_session=True,
        paired=True,
    )
    async with run_simulator(config) as waha:
        await eventually(lambda: any(d.error for d in waha.sim.sender.log))
        hook = Receiver()
        async with hook.serving(port=port):
            await hook.wait_until(lambda got: len(statuses(got)) >= 2)
    assert statuses(hook.received)[:2] == ["STARTING", "WORKING"]
    first = hook.received[0]
    failed = [d for d in waha.sim.sender.log if d.request_id == first.header("X-Webhook-Request-Id")]
    assert failed[0].error is not None and failed[-1].delivered
    assert parse_webhook(first.body).id == failed[0].event_id


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (RetryPolicy.CONSTANT, [2.0, 2.0, 2.0]),
        (RetryPolicy.LINEAR, [2.0, 4.0, 6.0]),
    ],
)
def test_retry_delays_follow_the_policy(policy: RetryPolicy, expected: list[float]) -> None:
    target = WebhookTarget("http://x", ("*",), None, policy, 2.0, 3)
    assert [retry_delay(target, n, 1.0) for n in (1, 2, 3)] == expected


def test_exponential_retry_delay_doubles_with_up_to_20_percent_jitter() -> None:
    target = WebhookTarget("http://x", ("*",), None, RetryPolicy.EXPONENTIAL, 1.0, 3)
    for retry in (1, 2, 3):
        assert 2**retry <= retry_delay(target, retry, 1.0) <= 2**retry * 1.2
