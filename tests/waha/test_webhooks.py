"""Webhook models and HMAC verification against every delivery the real WAHA sent (samples)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conectafy.waha.webhooks import (
    GenericEvent,
    InvalidSignature,
    InvalidWebhook,
    Media,
    MessageAckEvent,
    MessageEvent,
    MessageReactionEvent,
    SessionStatusEvent,
    message_kind,
    parse_webhook,
    sign_body,
    verify_signature,
)
from tests.conftest import WAHA_SAMPLES, load_waha_sample

HMAC_KEY = load_waha_sample("hmac-verification.json")["key_used_in_tests"]


def _deliveries() -> list[tuple[str, dict[str, Any]]]:
    """Every captured delivery: (sample name + index, {headers, body_raw})."""
    found = []
    for path in sorted(WAHA_SAMPLES.glob("webhook-*.json")):
        sample = json.loads(path.read_text())
        for index, delivery in enumerate(sample.get("deliveries", [sample])):
            found.append((f"{path.stem}#{index}", delivery))
    return found


DELIVERIES = _deliveries()
SIGNED = [(name, d) for name, d in DELIVERIES if any(h == "X-Webhook-Hmac" for h, _ in d["headers"])]
EXPECTED_TYPES = {
    "session.status": SessionStatusEvent,
    "message": MessageEvent,
    "message.any": MessageEvent,
    "message.ack": MessageAckEvent,
    "message.reaction": MessageReactionEvent,
}


def _unlong(value: Any) -> Any:
    """The samples as our models normalise them: protobuf Longs become plain integers."""
    if isinstance(value, dict):
        if set(value) == {"low", "high", "unsigned"}:
            return (value["high"] << 32) + value["low"]
        return {key: _unlong(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unlong(item) for item in value]
    return value


@pytest.mark.parametrize(("name", "delivery"), DELIVERIES, ids=[n for n, _ in DELIVERIES])
def test_every_captured_delivery_parses_to_its_type(name: str, delivery: dict[str, Any]) -> None:
    event = parse_webhook(delivery["body_raw"].encode())
    assert type(event) is EXPECTED_TYPES.get(event.event, GenericEvent)


@pytest.mark.parametrize(("name", "delivery"), DELIVERIES, ids=[n for n, _ in DELIVERIES])
def test_every_captured_delivery_keeps_all_its_fields(name: str, delivery: dict[str, Any]) -> None:
    event = parse_webhook(delivery["body_raw"].encode())
    dumped = event.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert dumped == _unlong(json.loads(delivery["body_raw"]))


def test_2026_image_message_is_fully_typed() -> None:
    body = load_waha_sample("webhook-2026-message-image.json")["body_raw"].encode()
    event = parse_webhook(body)
    assert isinstance(event, MessageEvent)
    assert (event.id, event.timestamp, event.session, event.engine) == (
        "evt_01m8hkchq6384p3fxy55824wve",
        1795887089382,
        "default",
        "NOWEB",
    )
    assert event.me is not None and event.me.id == "15550001111@c.us"
    assert event.metadata == {"tenant": "acme", "number": "+15550001111"}
    payload = event.payload
    assert (payload.id, payload.chat_id, payload.from_me, payload.body, payload.has_media) == (
        "false_15550002222@c.us_3EB0AAAABBBBCCCC0004",
        "15550002222@c.us",
        False,
        "Photo of the receipt",
        True,
    )
    assert payload.media == Media(
        url="http://127.0.0.1:3000/api/files/default/3EB0AAAABBBBCCCC0004.jpeg",
        filename=None,
        mimetype="image/jpeg",
    )


def test_2024_delivery_without_id_and_with_long_timestamp_parses() -> None:
    event = parse_webhook(load_waha_sample("webhook-2024-message.any-sent-via-api.json")["body_raw"].encode())
    assert isinstance(event, MessageEvent)
    assert (event.id, event.timestamp, event.payload.timestamp) == (None, None, 1795886369)


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("webhook-2026-message-text.json", "text"),
        ("webhook-2026-message-extended-text.json", "text"),
        ("webhook-2026-message-image.json", "image"),
        ("webhook-2026-message-voice.json", "audio"),
        ("webhook-2026-message-document.json", "document"),
        ("webhook-2026-global-message-no-download.json", "image"),
        ("webhook-2024-message-voice.json", "audio"),
    ],
)
def test_message_kind_from_captured_messages(sample: str, kind: str) -> None:
    event = parse_webhook(load_waha_sample(sample)["body_raw"].encode())
    assert isinstance(event, MessageEvent)
    assert message_kind(event.payload) == kind


@pytest.mark.parametrize(
    ("data", "has_media", "mimetype", "kind"),
    [
        ({"message": {"videoMessage": {}}}, True, "video/mp4", "video"),
        ({"type": "ptt"}, True, "audio/ogg; codecs=opus", "audio"),
        ({}, True, "video/mp4", "video"),
        ({}, True, "application/zip", "document"),
        ({}, False, None, "text"),
    ],
)
def test_message_kind_falls_back_to_engine_type_then_mimetype(
    data: dict[str, Any], has_media: bool, mimetype: str | None, kind: str
) -> None:
    body = {
        "event": "message",
        "session": "default",
        "payload": {
            "id": "x",
            "timestamp": 1,
            "from": "1@c.us",
            "fromMe": False,
            "hasMedia": has_media,
            "media": {"url": None, "mimetype": mimetype} if has_media else None,
            "_data": data,
        },
    }
    event = parse_webhook(json.dumps(body).encode())
    assert isinstance(event, MessageEvent)
    assert message_kind(event.payload) == kind


def test_unknown_event_parses_to_generic_event() -> None:
    event = parse_webhook(b'{"event":"call.received","session":"default","payload":{"id":"c1"}}')
    assert isinstance(event, GenericEvent)
    assert (event.event, event.payload) == ("call.received", {"id": "c1"})


def test_a_lone_surrogate_escape_parses_as_javascript_wrote_it() -> None:
    body = b'{"event":"message","session":"default","payload":{"id":"x","timestamp":1,"from":"1@c.us",'
    event = parse_webhook(body + b'"fromMe":false,"body":"Hi \\ud83d"}}')
    assert isinstance(event, MessageEvent)
    assert event.payload.body == "Hi \ud83d"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b'{"event":"message","body":"\xff"}', "not JSON"),
        (b"[1, 2]", "not a WAHA envelope"),
        (b'{"session":"default"}', "not a WAHA envelope"),
        (b'{"event":"message","session":"default","payload":{"id":"x"}}', "invalid 'message' webhook"),
    ],
)
def test_malformed_bodies_are_rejected_clearly(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidWebhook, match=reason):
        parse_webhook(body)


@pytest.mark.parametrize(("name", "delivery"), SIGNED, ids=[n for n, _ in SIGNED])
def test_hmac_verifies_for_every_captured_delivery(name: str, delivery: dict[str, Any]) -> None:
    headers = dict(delivery["headers"])
    body = delivery["body_raw"].encode()
    verify_signature(body, headers, HMAC_KEY)
    assert sign_body(body, HMAC_KEY) == headers["X-Webhook-Hmac"]


def test_signed_deliveries_cover_every_captured_2026_delivery() -> None:
    assert len(SIGNED) == len([name for name, _ in DELIVERIES if "-2026-" in name]) == 30


def test_official_test_vector_reproduces() -> None:
    vector = load_waha_sample("hmac-verification.json")["docs_test_vector"]
    assert sign_body(vector["body"].encode(), vector["key"]) == vector["hmac"]


def _signed_headers(body: bytes) -> dict[str, str]:
    return {"X-Webhook-Hmac": sign_body(body, HMAC_KEY), "X-Webhook-Hmac-Algorithm": "sha512"}


def test_header_names_are_case_insensitive() -> None:
    body = b'{"event":"message"}'
    verify_signature(body, {k.lower(): v for k, v in _signed_headers(body).items()}, HMAC_KEY)


def test_forged_body_is_rejected() -> None:
    headers = _signed_headers(b'{"event":"message","payload":{"body":"hi"}}')
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature(b'{"event":"message","payload":{"body":"pay me"}}', headers, HMAC_KEY)


def test_signature_made_with_another_key_is_rejected() -> None:
    body = b'{"event":"message"}'
    headers = {"X-Webhook-Hmac": sign_body(body, "other-key"), "X-Webhook-Hmac-Algorithm": "sha512"}
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature(body, headers, HMAC_KEY)


def test_missing_signature_is_rejected() -> None:
    with pytest.raises(InvalidSignature, match="missing X-Webhook-Hmac"):
        verify_signature(b"{}", {"X-Webhook-Hmac-Algorithm": "sha512"}, HMAC_KEY)


@pytest.mark.parametrize("algorithm", [None, "sha256", "md5", ""])
def test_wrong_or_missing_algorithm_is_rejected(algorithm: str | None) -> None:
    headers = _signed_headers(b"{}")
    headers.pop("X-Webhook-Hmac-Algorithm")
    if algorithm is not None:
        headers["X-Webhook-Hmac-Algorithm"] = algorithm
    with pytest.raises(InvalidSignature, match="unsupported X-Webhook-Hmac-Algorithm"):
        verify_signature(b"{}", headers, HMAC_KEY)


def test_2024_delivery_has_no_signature_to_verify() -> None:
    delivery = load_waha_sample("webhook-2024-message-text.json")
    with pytest.raises(InvalidSignature, match="missing"):
        verify_signature(delivery["body_raw"].encode(), dict(delivery["headers"]), HMAC_KEY)


def test_empty_key_never_verifies() -> None:
    with pytest.raises(InvalidSignature, match="no HMAC key"):
        verify_signature(b"{}", _signed_headers(b"{}"), "")
