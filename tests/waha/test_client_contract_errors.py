"""Every captured WAHA refusal, replayed: the client raises the narrowest typed error with WAHA's
status code, message and body (and the status guard's `status`/`expected`)."""

from __future__ import annotations

from typing import Any

import pytest

from conectafy.waha import (
    MediaFile,
    WahaAlreadyStarted,
    WahaError,
    WahaNotFound,
    WahaNotSupported,
    WahaSessionExists,
    WahaStatus,
    WahaStatusConflict,
    WahaUnauthorized,
)
from tests.conftest import load_waha_sample
from tests.support.waha_replay import CHAT, VERSIONS, Call, call, config_of, replay

ERRORS: list[tuple[str, Call, type[WahaError], dict[str, Any]]] = [
    ("api-2026-007-auth-no-key.json", call("list_sessions", all=False), WahaUnauthorized, {}),
    ("api-2026-008-auth-wrong-key.json", call("list_sessions", all=False), WahaUnauthorized, {}),
    ("api-2026-018-session-get-after-delete.json", call("get_session"), WahaNotFound, {}),
    ("api-2024-018-session-get-after-delete.json", call("get_session"), WahaNotFound, {}),
    ("api-2026-020-session-start-after-delete.json", call("start_session"), WahaNotFound, {}),
    ("api-2024-026-session-start-when-running.json", call("start_session"), WahaAlreadyStarted, {}),
    ("api-2026-026-session-start-when-running.json", call("start_session"), WahaAlreadyStarted, {}),
    ("api-2026-065-me-stopped.json", call("get_me"), WahaNotFound, {}),
    ("api-2024-065-me-stopped.json", call("get_me"), WahaNotFound, {}),
    ("api-2024-066-qr-stopped.json", call("get_qr_value"), WahaNotFound, {}),
    (
        "api-2026-066-qr-stopped.json",
        call("get_qr_value"),
        WahaStatusConflict,
        {"status": WahaStatus.STOPPED, "expected": [WahaStatus.SCAN_QR_CODE], "session": "default"},
    ),
    (
        "api-2026-042-qr-working.json",
        call("get_qr_value"),
        WahaStatusConflict,
        {"status": WahaStatus.WORKING, "expected": [WahaStatus.SCAN_QR_CODE], "session": "default"},
    ),
    (
        "api-2024-042-qr-working.json",
        call("get_qr_value"),
        WahaStatusConflict,
        {"status": WahaStatus.WORKING, "expected": [WahaStatus.SCAN_QR_CODE], "session": "default"},
    ),
    (
        "api-2026-037-sendtext-scan-qr.json",
        call("send_text", "default", CHAT, "hi"),
        WahaStatusConflict,
        {"status": WahaStatus.SCAN_QR_CODE, "expected": [WahaStatus.WORKING], "session": "default"},
    ),
    (
        "api-2024-072-sendtext-failed.json",
        call("send_text", "default", CHAT, "x"),
        WahaStatusConflict,
        {"status": WahaStatus.FAILED, "expected": [WahaStatus.WORKING], "session": "default"},
    ),
    (
        "api-2026-072-sendtext-failed.json",
        call("send_text", "default", CHAT, "x"),
        WahaStatusConflict,
        {"status": WahaStatus.FAILED, "expected": [WahaStatus.WORKING], "session": "default"},
    ),
    (
        "api-2026-067-sendtext-stopped.json",
        call("send_text", "default", CHAT, "x"),
        WahaStatusConflict,
        {"status": WahaStatus.STOPPED, "expected": [WahaStatus.WORKING], "session": "default"},
    ),
    ("api-2024-067-sendtext-stopped.json", call("send_text", "default", CHAT, "x"), WahaNotFound, {}),
    (
        "api-2026-048-sendtext-unknown-session.json",
        call("send_text", "acme-1", CHAT, "x"),
        WahaNotSupported,
        {},
    ),
    (
        "api-2024-048-sendtext-unknown-session.json",
        call("send_text", "acme-1", CHAT, "x"),
        WahaNotSupported,
        {},
    ),
    *[
        (
            f"api-{v}-059-send-image-core.json",
            call(
                "send_image",
                "default",
                CHAT,
                MediaFile(mimetype="image/jpeg", url="http://127.0.0.1:9/x.jpg"),
            ),
            WahaNotSupported,
            {},
        )
        for v in VERSIONS
    ],
    *[
        (
            f"api-{v}-014-session-create-other-name.json",
            call("create_session", "acme-1", config=config_of(f"api-{v}-014-session-create-other-name.json")),
            WahaNotSupported,
            {},
        )
        for v in VERSIONS
    ],
    *[
        (
            f"api-{v}-015-session-create-existing-default.json",
            call("create_session", config=config_of(f"api-{v}-015-session-create-existing-default.json")),
            WahaSessionExists,
            {},
        )
        for v in VERSIONS
    ],
]


@pytest.mark.parametrize(
    ("sample", "action", "error", "attributes"),
    [pytest.param(*case, id=case[0].removesuffix(".json")) for case in ERRORS],
)
async def test_error_answers_raise_typed_errors_with_wahas_code_and_body(
    sample: str, action: Call, error: type[WahaError], attributes: dict[str, Any]
) -> None:
    with pytest.raises(WahaError) as raised:
        await replay(action, sample)
    captured = load_waha_sample(sample)["response"]
    body = captured["body"]
    assert {
        "type": type(raised.value),
        "status_code": raised.value.status_code,
        "body": raised.value.body,
        "message": raised.value.message,
        **{name: getattr(raised.value, name) for name in attributes},
    } == {
        "type": error,
        "status_code": captured["status"],
        "body": body,
        "message": body.get("message", body.get("error")),
        **attributes,
    }
