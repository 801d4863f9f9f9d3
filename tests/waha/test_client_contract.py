"""The client against the real WAHA's captured exchanges: same request on the wire, same parse.

Every sample in tests/fixtures/waha/samples whose endpoint the client has is replayed through
`httpx.MockTransport`: the client must send what was captured (method, path, query, headers, body)
and turn the captured answer into the right model, or into the right exception.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from conectafy.waha import (
    Chat,
    ChatMessage,
    Me,
    ServerVersion,
    SessionInfo,
    WahaNotFound,
    WahaNotSupported,
    WahaStatus,
)
from tests.conftest import load_waha_sample
from tests.support.waha_replay import CHAT, VERSIONS, Call, call, config_of, replay, response_body


def _session_cases() -> list[Any]:
    reads = ["013-session-get-initial", "025-session-get-starting", "028-session-get-scan-qr"]
    reads += ["039-session-get-working", "062-session-get-stopped", "070-session-get-failed"]
    reads += ["074-session-get-after-logout", "077-session-get-after-logout-stopped"]
    reads += ["081-F-session-get-after-process-restart"]
    actions = {
        "069-session-start-with-creds": "start_session",
        "060-session-restart-working": "restart_session",
        "061-session-stop-working": "stop_session",
        "068-session-stop-again": "stop_session",
        "075-session-stop-final": "stop_session",
        "073-session-logout-failed": "logout_session",
        "076-session-logout-stopped": "logout_session",
    }
    cases = []
    for version in VERSIONS:
        cases += [(f"api-{version}-{name}.json", call("get_session")) for name in reads]
        cases += [(f"api-{version}-{name}.json", call(method)) for name, method in actions.items()]
        for name in ("024-session-create-start-true", "080-F-session-create-again"):
            sample = f"api-{version}-{name}.json"
            cases.append((sample, call("create_session", config=config_of(sample))))
    sample = "api-2026-083-session-update-put-webhook-fail.json"
    cases.append((sample, call("update_session", "default", config_of(sample))))
    return [pytest.param(sample, call, id=sample.removesuffix(".json")) for sample, call in cases]


@pytest.mark.parametrize(("sample", "action"), _session_cases())
async def test_session_answers_parse_into_session_info_losing_nothing(sample: str, action: Call) -> None:
    session = await replay(action, sample)
    assert isinstance(session, SessionInfo)
    assert session.model_dump(mode="json", by_alias=True, exclude_unset=True) == response_body(sample)


LISTS = ["011-sessions-list-initial", "019-sessions-list-all-after-delete", "029-sessions-list-scan-qr"]
LISTS += ["040-sessions-list-working", "063-sessions-list-stopped", "064-sessions-list-all-stopped"]
LISTS += ["012-sessions-list-all-initial", "079-sessions-list-all-final", "007-auth-no-key"]


LIST_SAMPLES = [
    f"api-{v}-{name}.json" for v in VERSIONS for name in LISTS if f"{v}-{name}" != "2026-007-auth-no-key"
]


@pytest.mark.parametrize("sample", LIST_SAMPLES)
async def test_session_lists_parse_with_or_without_all(sample: str) -> None:
    all_sessions = "?all=true" in load_waha_sample(sample)["request"]["path"]
    sessions = await replay(call("list_sessions", all=all_sessions), sample)
    dumped = [s.model_dump(mode="json", by_alias=True, exclude_unset=True) for s in sessions]
    assert dumped == response_body(sample)


@pytest.mark.parametrize("version", VERSIONS)
async def test_session_status_is_typed(version: str) -> None:
    session = await replay(call("get_session"), f"api-{version}-039-session-get-working.json")
    assert (session.status, session.me) == (
        WahaStatus.WORKING,
        Me.model_validate(response_body(f"api-{version}-041-me-working.json")),
    )


@pytest.mark.parametrize("sample", [f"api-{v}-{name}.json" for v in VERSIONS for name in ("001-ping",)])
async def test_ping_answers_with_the_key_when_it_has_one(sample: str) -> None:
    assert await replay(call("ping"), sample) is None


async def test_ping_needs_no_key() -> None:
    assert await replay(call("ping"), "api-2026-084-G-ping-no-key.json") is None


@pytest.mark.parametrize("version", VERSIONS)
async def test_version_parses_old_and_new_builds(version: str) -> None:
    sample = f"api-{version}-004-server-version.json"
    server = await replay(call("version"), sample)
    assert isinstance(server, ServerVersion)
    assert server.model_dump(mode="json", by_alias=True, exclude_unset=True) == response_body(sample)


@pytest.mark.parametrize("version", VERSIONS)
async def test_delete_session_accepts_the_empty_200(version: str) -> None:
    samples = [f"api-{version}-{name}.json" for name in ("017-session-delete", "023-session-delete-2")]
    assert [await replay(call("delete_session"), sample) for sample in samples] == [None, None]


@pytest.mark.parametrize("version", VERSIONS)
async def test_create_with_start_false_reports_cores_silent_no_op(version: str) -> None:
    created = f"api-{version}-021-session-create-start-false.json"
    looked_up = f"api-{version}-022-session-get-after-create-start-false.json"
    with pytest.raises(WahaNotSupported) as raised:
        await replay(call("create_session", start=False, config=config_of(created)), created, looked_up)
    assert (raised.value.status_code, type(raised.value.__cause__)) == (201, WahaNotFound)


@pytest.mark.parametrize(
    "sample", [f"api-{v}-{name}.json" for v in VERSIONS for name in ("027-me-starting", "034-me-scan-qr")]
)
async def test_me_is_none_before_login(sample: str) -> None:
    assert await replay(call("get_me"), sample) is None


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (
            "api-2026-041-me-working.json",
            Me(id="15550001111@c.us", push_name="Acme Support", lid="123456789012345@lid"),
        ),
        (
            "api-2026-071-me-failed.json",
            Me(id="15550001111@c.us", push_name="Acme Support", lid="123456789012345@lid"),
        ),
        ("api-2024-041-me-working.json", Me(id="15550001111@c.us", push_name="Acme Support")),
        ("api-2024-082-F-me-after-process-restart.json", Me(id="15550001111@c.us", push_name="Acme Support")),
    ],
)
async def test_me_parses_the_account(sample: str, expected: Me) -> None:
    me = await replay(call("get_me"), sample)
    assert (me, me.phone_number) == (expected, "15550001111")


@pytest.mark.parametrize("version", VERSIONS)
async def test_qr_image_is_the_png_bytes(version: str) -> None:
    sample = f"api-{version}-030-qr-image.json"
    png = await replay(call("get_qr_image"), sample)
    assert (png[:8], png) == (
        b"\x89PNG\r\n\x1a\n",
        base64.b64decode(load_waha_sample(sample)["response"]["body_base64"]),
    )


@pytest.mark.parametrize(
    "sample",
    [f"api-{v}-{name}.json" for v in VERSIONS for name in ("032-qr-raw", "038-qr-raw-after-rotation")],
)
async def test_qr_value_is_the_raw_string(sample: str) -> None:
    assert await replay(call("get_qr_value"), sample) == response_body(sample)["value"]


@pytest.mark.parametrize(("version", "code"), [("2024", "JA6C-4HAM"), ("2026", "PAB8-HLKQ")])
async def test_pairing_code_is_requested_for_the_number(version: str, code: str) -> None:
    pairing = call("request_pairing_code", "default", "+15550001111")
    assert await replay(pairing, f"api-{version}-035-pairing-code.json") == code


@pytest.mark.parametrize("version", VERSIONS)
async def test_send_text_keeps_the_engine_object_and_exposes_ids(version: str) -> None:
    sample = f"api-{version}-044-sendtext-working.json"
    sent = await replay(call("send_text", "default", CHAT, "Hello from WAHA"), sample)
    key_id = response_body(sample)["key"]["id"]
    assert (sent.raw, sent.key_id, sent.id) == (response_body(sample), key_id, f"true_{CHAT}_{key_id}")


@pytest.mark.parametrize("version", VERSIONS)
async def test_send_text_replies_with_reply_to(version: str) -> None:
    sample = f"api-{version}-045-sendtext-reply-to.json"
    reply_to = load_waha_sample(sample)["request"]["body"]["reply_to"]
    sent = await replay(call("send_text", "default", CHAT, "Quoted reply", reply_to=reply_to), sample)
    assert sent.raw == response_body(sample)


@pytest.mark.parametrize("version", VERSIONS)
async def test_chats_parse_the_engine_objects(version: str) -> None:
    sample = f"api-{version}-051-chats.json"
    chats = await replay(call("list_chats", limit=10), sample)
    body = response_body(sample)
    assert chats == [Chat(id=body[0]["id"], conversation_timestamp=body[0]["conversationTimestamp"])]


@pytest.mark.parametrize("version", VERSIONS)
async def test_messages_parse_losing_nothing(version: str) -> None:
    sample = f"api-{version}-052-chat-messages.json"
    messages = await replay(call("list_messages", "default", CHAT, limit=3, download_media=True), sample)
    dumped = [m.model_dump(mode="json", by_alias=True, exclude_unset=True) for m in messages]
    assert (all(isinstance(m, ChatMessage) for m in messages), dumped) == (True, response_body(sample))


async def test_messages_expose_typed_media() -> None:
    sample = "api-2026-052-chat-messages.json"
    messages = await replay(call("list_messages", "default", CHAT, limit=3, download_media=True), sample)
    summary = [
        (m.id, m.from_me, m.body, m.media and m.media.filename, m.media and m.media.mimetype)
        for m in messages
    ]
    assert summary == [
        ("false_15550002222@c.us_3EB0AAAABBBBCCCC0007", False, None, None, "audio/ogg; codecs=opus"),
        ("false_15550002222@c.us_3EB0AAAABBBBCCCC0006", False, None, "invoice-123.pdf", "application/pdf"),
        ("false_15550002222@c.us_3EB0AAAABBBBCCCC0004", False, "Photo of the receipt", None, "image/jpeg"),
    ]
