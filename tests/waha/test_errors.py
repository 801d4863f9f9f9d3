"""Every error body the real WAHA sent maps onto the narrowest exception, with WAHA's message."""

from __future__ import annotations

from typing import Any

import pytest

from conectafy.waha.errors import (
    WahaBadRequest,
    WahaError,
    WahaNotFound,
    WahaNotSupported,
    WahaServerError,
    WahaStatusConflict,
    WahaUnauthorized,
    WahaUnprocessable,
    error_for_status,
)
from tests.conftest import load_waha_sample


def _from_sample(name: str) -> WahaError:
    response = load_waha_sample(name)["response"]
    body = response["body"] if response.get("body") is not None else response.get("body_text", "")
    return error_for_status(response["status"], body, "fallback reason")


@pytest.mark.parametrize(
    ("sample", "error", "message"),
    [
        ("api-2026-047-sendtext-session-omitted.json", WahaBadRequest, "Session name is required"),
        (
            "api-2026-016-session-create-invalid-config.json",
            WahaBadRequest,
            "config.webhooks.0.url must be a URL address",
        ),
        (
            "api-2026-046-sendtext-missing-chatid.json",
            WahaServerError,
            "Cannot read properties of undefined (reading 'includes')",
        ),
        (
            "api-2026-002-health.json",
            WahaNotSupported,
            "The feature is available only in Plus version for 'NOWEB' engine. "
            "Check this out: https://waha.devlike.pro/",
        ),
        (
            "api-2026-036-pairing-code-with-method.json",
            WahaNotSupported,
            "NOWEB engine doesn't support any 'method', remove it and try again",
        ),
        (
            "api-2026-043-screenshot-working.json",
            WahaNotSupported,
            "Can not get screenshot for non chrome based engine.",
        ),
        ("api-2026-010-unknown-route.json", WahaNotFound, "Cannot GET /api/nope"),
        ("api-2024-050-media-file-get-missing.json", WahaNotFound, "File not found"),
        ("api-2026-085-G-health-no-key.json", WahaUnauthorized, "Unauthorized"),
        ("api-2026-088-G-swagger-json-no-basic-auth.json", WahaUnauthorized, "fallback reason"),
    ],
)
def test_error_bodies_map_to_typed_errors(sample: str, error: type[WahaError], message: str) -> None:
    raised = _from_sample(sample)
    assert (type(raised), raised.message) == (error, message)


def test_validation_errors_list_every_complaint() -> None:
    raised = _from_sample("api-2024-016-session-create-invalid-config.json")
    assert isinstance(raised, WahaBadRequest)
    assert (
        raised.messages
        == load_waha_sample("api-2024-016-session-create-invalid-config.json")["response"]["body"]["message"]
    )


def test_a_single_message_bad_request_lists_it_alone() -> None:
    raised = _from_sample("api-2026-047-sendtext-session-omitted.json")
    assert isinstance(raised, WahaBadRequest)
    assert raised.messages == ["Session name is required"]


def test_status_guard_keeps_an_unknown_future_status_as_text() -> None:
    body: dict[str, Any] = {"error": "Session status is not as expected", "status": "HIBERNATING"}
    raised = error_for_status(422, {**body, "expected": ["WORKING", "SOMETHING_NEW"]}, "")
    assert isinstance(raised, WahaStatusConflict)
    assert (raised.status, raised.expected) == ("HIBERNATING", ["WORKING", "SOMETHING_NEW"])


def test_an_unrecognised_422_stays_unprocessable() -> None:
    raised = error_for_status(422, {"message": "Something new", "statusCode": 422}, "")
    assert (type(raised), raised.status_code, str(raised)) == (
        WahaUnprocessable,
        422,
        "WAHA 422: Something new",
    )


def test_every_error_is_a_waha_error_carrying_the_body() -> None:
    body = {"message": "Too many requests", "statusCode": 429}
    raised = error_for_status(429, body, "Too Many Requests")
    assert (type(raised), raised.status_code, raised.message, raised.body) == (
        WahaError,
        429,
        "Too many requests",
        body,
    )
