"""Webhooks leave the simulator like WAHA's: envelope, key order, headers, HMAC, event order.

A real receiver listens on 127.0.0.1; every assertion is on what arrived over HTTP.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conectafy.simulator import RunningSimulator, run_simulator
from conectafy.waha.webhooks import MessageEvent, parse_webhook, verify_signature
from tests.conftest import load_waha_sample
from tests.simulator.support import (
    API_KEY,
    HMAC_KEY,
    Receiver,
    events,
    fast_config,
    normalise,
    scan,
    session_request,
)

WAHA_HEADER_ORDER = [
    "accept",
    "content-type",
    "user-agent",
    "x-my-custom-header",
    "x-webhook-request-id",
    "x-webhook-timestamp",
    "x-webhook-hmac",
    "x-webhook-hmac-algorithm",
]


async def test_deliveries_are_signed_with_hmac_sha512(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    await hook.wait_until(lambda got: len(got) >= 2)
    for delivery in hook.received:
        verify_signature(delivery.body, dict(delivery.headers), HMAC_KEY)
        assert delivery.header("X-Webhook-Hmac-Algorithm") == "sha512"


async def test_headers_come_in_waha_order_with_timestamp_of_the_envelope(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    await hook.wait_until(lambda got: len(got) >= 1)
    delivery = hook.received[0]
    names = [name.lower() for name, _ in delivery.headers if name.lower() in WAHA_HEADER_ORDER]
    assert names == WAHA_HEADER_ORDER
    assert (delivery.header("User-Agent"), delivery.header("X-My-Custom-Header")) == (
        "WAHA/2026.2.1",
        "Value",
    )
    assert delivery.header("X-Webhook-Timestamp") == str(json.loads(delivery.body)["timestamp"])


async def test_session_status_envelopes_match_the_captured_ones(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    await hook.wait_until(lambda got: len(got) >= 2)
    for delivery, sample in zip(
        hook.received, ["session.status-STARTING", "session.status-SCAN_QR_CODE"], strict=False
    ):
        captured = load_waha_sample(f"webhook-2026-{sample}.json")["body"]
        assert normalise(json.loads(delivery.body)) == normalise(captured)


async def test_body_is_compact_json_in_waha_key_order(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    await hook.wait_until(lambda got: len(got) >= 1)
    body = hook.received[0].body
    assert body == json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()
    assert list(json.loads(body)) == [
        "id",
        "timestamp",
        "event",
        "session",
        "metadata",
        "me",
        "payload",
        "engine",
        "environment",
    ]


@pytest.mark.parametrize(
    ("inject", "sample"),
    [
        ({"from": "15550002222", "text": "Hi, I need help with my order"}, "message-text"),
        ({"from": "15550002222", "type": "audio"}, "message-voice"),
        ({"from": "15550002222", "type": "image", "text": "Photo of the receipt"}, "message-image"),
        ({"from": "15550002222", "type": "document", "filename": "invoice-123.pdf"}, "message-document"),
    ],
)
async def test_inbound_messages_match_the_captured_ones(
    receiver: tuple[Receiver, str],
    waha_client: tuple[RunningSimulator, httpx.AsyncClient],
    inject: dict[str, Any],
    sample: str,
) -> None:
    hook, _ = receiver
    waha, http = waha_client
    await scan(waha, http)
    await http.post("/_sim/messages", json=inject)
    await hook.wait_until(lambda got: any(e["event"] == "message" for e in events(got)))
    ours = next(e for e in events(hook.received) if e["event"] == "message")
    captured = load_waha_sample(f"webhook-2026-{sample}.json")["body"]
    strip = {"_data", "media"}
    assert normalise({k: v for k, v in ours["payload"].items() if k not in strip}) == normalise(
        {k: v for k, v in captured["payload"].items() if k not in strip}
    )
    assert (ours["payload"]["media"] is None) == (captured["payload"]["media"] is None)
    assert list(ours["payload"]["_data"]["message"]) == list(captured["payload"]["_data"]["message"])


async def test_inbound_media_is_served_by_the_simulator(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    waha, http = waha_client
    await scan(waha, http)
    sent = (await http.post("/_sim/messages", json={"from": "15550002222", "type": "audio"})).json()
    url = sent["media"]["url"]
    assert url.startswith("http://127.0.0.1:3000/api/files/default/") and url.endswith(".oga")
    answer = await http.get(url.removeprefix("http://127.0.0.1:3000"))
    assert (answer.status_code, answer.headers["content-type"]) == (200, "audio/ogg; codecs=opus")
    assert answer.content.startswith(b"OggS") and b"OpusHead" in answer.content
    assert (
        await httpx.AsyncClient(base_url=waha.url).get(url.removeprefix("http://127.0.0.1:3000"))
    ).status_code == 401


async def test_sent_text_is_announced_pending_then_acked(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    waha, http = waha_client
    await scan(waha, http)
    answer = await http.post(
        "/api/sendText", json={"session": "default", "chatId": "15550002222@c.us", "text": "Hello from WAHA"}
    )
    message_id = f"true_15550002222@c.us_{answer.json()['key']['id']}"
    await http.post("/_sim/acks", json={"messageId": message_id, "ack": "DEVICE"})
    await http.post("/_sim/acks", json={"messageId": message_id, "ack": "READ"})
    await hook.wait_until(lambda got: sum(e["event"] == "message.ack" for e in events(got)) == 2)
    ours = [e for e in events(hook.received) if e["event"] in ("message.any", "message.ack")]
    expected = [
        load_waha_sample(f"webhook-2026-{name}.json")["body"]
        for name in ("message.any-sent-via-api", "message.ack-DEVICE", "message.ack-READ")
    ]
    assert normalise(ours) == normalise(expected)


async def test_events_arrive_in_order(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    waha, http = waha_client
    await scan(waha, http)
    for number in range(15):
        await http.post("/_sim/messages", json={"from": f"1555000{number % 3}000", "text": f"m{number}"})
    await hook.wait_until(lambda got: sum(e["event"] == "message" for e in events(got)) == 15)
    bodies = [e["payload"]["body"] for e in events(hook.received) if e["event"] == "message"]
    assert bodies == [f"m{number}" for number in range(15)]


async def test_events_not_subscribed_are_not_sent(receiver: tuple[Receiver, str]) -> None:
    hook, url = receiver
    request = session_request(url)
    request["config"]["webhooks"][0]["events"] = ["message"]
    async with (
        run_simulator(fast_config()) as waha,
        httpx.AsyncClient(base_url=waha.url, headers={"X-Api-Key": API_KEY}) as http,
    ):
        await http.delete("/api/sessions/default")
        await http.post("/api/sessions", json=request)
        await scan(waha, http)
        await http.post("/_sim/messages", json={"from": "15550002222", "text": "only this"})
        await hook.wait_until(lambda got: len(got) >= 1)
    assert [e["event"] for e in events(hook.received)] == ["message"]


async def test_sent_messages_are_readable_as_what_the_phone_received(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    waha, http = waha_client
    await scan(waha, http)
    await http.post("/api/sendText", json={"session": "default", "chatId": "15550002222@c.us", "text": "hi"})
    await http.post(
        "/api/sendFile",
        json={
            "session": "default",
            "chatId": "15550002222@c.us",
            "caption": "inv",
            "file": {"mimetype": "application/pdf", "filename": "a.pdf", "data": "JVBERi0xLjQK"},
        },
    )
    sent = (await http.get("/_sim/sent")).json()
    assert [(m["body"], m["hasMedia"], m["media"] and m["media"]["filename"]) for m in sent] == [
        ("hi", False, None),
        ("inv", True, "a.pdf"),
    ]
    event = parse_webhook(
        json.dumps({"event": "message.any", "session": "default", "payload": sent[1]}).encode()
    )
    assert isinstance(event, MessageEvent)


async def test_qr_rotation_is_reannounced_like_waha(
    receiver: tuple[Receiver, str], waha_client: tuple[RunningSimulator, httpx.AsyncClient]
) -> None:
    hook, _ = receiver
    _, http = waha_client
    first = (await http.get("/api/default/auth/qr", params={"format": "raw"})).json()["value"]
    rotated = (await http.post("/_sim/qr/rotate")).json()
    await hook.wait_until(lambda got: len(got) >= 3)
    captured = load_waha_sample("webhook-2026-session.status-SCAN_QR_CODE-rotated.json")["body"]["payload"]
    assert normalise(events(hook.received)[2]["payload"]) == normalise(captured)
    assert rotated["value"] != first
    assert (await http.get("/api/default/auth/qr", params={"format": "raw"})).json() == {
        "value": rotated["value"]
    }


@pytest.mark.parametrize(
    ("text", "sample"), [("👍", "message.reaction-incoming"), ("", "message.reaction-removed")]
)
async def test_reactions_match_the_captured_ones(
    receiver: tuple[Receiver, str],
    waha_client: tuple[RunningSimulator, httpx.AsyncClient],
    text: str,
    sample: str,
) -> None:
    hook, _ = receiver
    waha, http = waha_client
    await scan(waha, http)
    answer = await http.post(
        "/api/sendText", json={"session": "default", "chatId": "15550002222@c.us", "text": "x"}
    )
    ours = f"true_15550002222@c.us_{answer.json()['key']['id']}"
    await http.post("/_sim/reactions", json={"from": "15550002222", "messageId": ours, "text": text})
    await hook.wait_until(lambda got: any(e["event"] == "message.reaction" for e in events(got)))
    reaction = next(e for e in events(hook.received) if e["event"] == "message.reaction")
    assert normalise(reaction) == normalise(load_waha_sample(f"webhook-2026-{sample}.json")["body"])
