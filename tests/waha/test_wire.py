"""Retries, timeouts and input checks of the WAHA client, on `httpx.MockTransport` (no network).

Backoff waits are switched off with stamina's testing mode (`cap=True` keeps the client's own
attempt count), so these tests never sleep.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator

import httpx
import pytest
import stamina

from conectafy.waha import (
    MediaFile,
    SessionConfig,
    WahaClient,
    WahaError,
    WahaInvalidResponse,
    WahaNotFound,
    WahaServerError,
    WahaUnavailable,
)
from conectafy.waha.client import WahaClient as _Client
from tests.conftest import load_waha_sample

CHAT = "15550002222@c.us"
SESSION_JSON = load_waha_sample("api-2026-039-session-get-working.json")["response"]["body"]
SENT_JSON = load_waha_sample("api-2026-044-sendtext-working.json")["response"]["body"]
Outcome = httpx.Response | Exception


@pytest.fixture(autouse=True)
def _no_backoff_waits() -> Iterator[None]:
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


class Script:
    """A WAHA that answers with the given outcomes in order and counts what it was asked."""

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def client(self, retries: int = 3) -> WahaClient:
        return WahaClient("http://waha", api_key="k", transport=httpx.MockTransport(self), retries=retries)


def _bad_gateway() -> httpx.Response:
    return httpx.Response(502, text="Bad Gateway")


def _refused() -> httpx.ConnectError:
    return httpx.ConnectError("connection refused")


@pytest.mark.parametrize("failure", [_bad_gateway, _refused], ids=["502", "connect-error"])
async def test_get_is_retried_until_waha_answers(failure: Callable[[], Outcome]) -> None:
    script = Script(failure(), failure(), httpx.Response(200, json=SESSION_JSON))
    async with script.client() as waha:
        session = await waha.get_session()
    assert (session.name, len(script.requests)) == ("default", 3)


@pytest.mark.parametrize(
    ("failure", "error"),
    [(_bad_gateway, WahaServerError), (_refused, WahaUnavailable)],
    ids=["502", "connect"],
)
async def test_get_gives_up_after_the_configured_retries(
    failure: Callable[[], Outcome], error: type[WahaError]
) -> None:
    script = Script(*(failure() for _ in range(3)))
    async with script.client(retries=2) as waha:
        with pytest.raises(error):
            await waha.get_session()
    assert len(script.requests) == 3


async def test_delete_and_put_are_retried_as_idempotent() -> None:
    script = Script(_refused(), httpx.Response(200), _bad_gateway(), httpx.Response(200, json=SESSION_JSON))
    async with script.client() as waha:
        await waha.delete_session()
        await waha.update_session("default", SessionConfig.model_validate(SESSION_JSON["config"]))
    assert [r.method for r in script.requests] == ["DELETE", "DELETE", "PUT", "PUT"]


@pytest.mark.parametrize(
    ("failure", "error"),
    [(_bad_gateway, WahaServerError), (_refused, WahaUnavailable)],
    ids=["502", "connect"],
)
async def test_send_text_is_never_retried(failure: Callable[[], Outcome], error: type[WahaError]) -> None:
    script = Script(failure(), httpx.Response(201, json=SENT_JSON))
    async with script.client() as waha:
        with pytest.raises(error):
            await waha.send_text("default", CHAT, "hi")
    assert len(script.requests) == 1


async def test_session_actions_are_posts_and_never_retried() -> None:
    script = Script(_bad_gateway(), _bad_gateway())
    async with script.client() as waha:
        with pytest.raises(WahaServerError):
            await waha.start_session()
        with pytest.raises(WahaServerError):
            await waha.create_session()
    assert [(r.method, r.url.path) for r in script.requests] == [
        ("POST", "/api/sessions/default/start"),
        ("POST", "/api/sessions"),
    ]


async def test_client_errors_are_not_retried() -> None:
    script = Script(httpx.Response(404, json={"message": "Session not found", "statusCode": 404}))
    async with script.client() as waha:
        with pytest.raises(WahaNotFound):
            await waha.get_session()
    assert len(script.requests) == 1


async def test_timeout_is_reported_as_unavailable() -> None:
    script = Script(*(httpx.ReadTimeout("read timed out") for _ in range(4)))
    async with script.client() as waha:
        with pytest.raises(WahaUnavailable) as raised:
            await waha.version()
    assert (raised.value.status_code, len(script.requests)) == (None, 4)


async def test_success_that_is_not_json_is_an_invalid_response() -> None:
    script = Script(httpx.Response(200, text="<html>proxy login</html>"))
    async with script.client() as waha:
        with pytest.raises(WahaInvalidResponse) as raised:
            await waha.get_session()
    assert (raised.value.status_code, raised.value.body) == (200, "<html>proxy login</html>")


async def test_success_of_the_wrong_shape_is_an_invalid_response() -> None:
    script = Script(httpx.Response(200, json={"name": "default", "status": "DANCING"}))
    async with script.client() as waha:
        with pytest.raises(WahaInvalidResponse) as raised:
            await waha.get_session()
    assert raised.value.body == {"name": "default", "status": "DANCING"}


async def test_qr_answered_as_json_is_decoded_to_the_png() -> None:
    """WAHA answers the JSON form when asked with Accept: application/json (sample 031)."""
    body = load_waha_sample("api-2026-031-qr-image-accept-json.json")["response"]["body"]
    script = Script(httpx.Response(200, json=body))
    async with script.client() as waha:
        png = await waha.get_qr_image()
    assert png == base64.b64decode(body["data"])


async def test_timeout_setting_reaches_every_request() -> None:
    script = Script(httpx.Response(200, json=SESSION_JSON))
    waha = WahaClient("http://waha", api_key="k", timeout=2.5, transport=httpx.MockTransport(script))
    async with waha:
        await waha.get_session()
    assert script.requests[0].extensions["timeout"] == {
        "connect": 2.5,
        "read": 2.5,
        "write": 2.5,
        "pool": 2.5,
    }


@pytest.mark.parametrize(
    "name", ["../server/environment", "default/../../server", "default?all=true", "", "a b", "default#x", "."]
)
async def test_session_names_that_would_change_the_path_are_refused_before_sending(name: str) -> None:
    script = Script()
    async with script.client() as waha:
        with pytest.raises(ValueError, match="not a WAHA session name"):
            await waha.get_session(name)
    assert script.requests == []


@pytest.mark.parametrize(
    "chat_id", ["../../server/environment", "15550002222", "1555@c.us/../x", "1555@c.us?x=1", "1555%2F@c.us"]
)
async def test_chat_ids_that_would_change_the_path_are_refused_before_sending(chat_id: str) -> None:
    script = Script()
    async with script.client() as waha:
        with pytest.raises(ValueError, match="not a WhatsApp chat id"):
            await waha.list_messages("default", chat_id)
    assert script.requests == []


@pytest.mark.parametrize("phone", ["abc", "+1 555 000", "123", "1234567890123456"])
async def test_pairing_code_refuses_what_is_not_a_phone_number(phone: str) -> None:
    script = Script()
    async with script.client() as waha:
        with pytest.raises(ValueError, match="phone number"):
            await waha.request_pairing_code("default", phone)
    assert script.requests == []


PDF = MediaFile.from_bytes(b"%PDF-1.7", "application/pdf", "invoice.pdf")
PDF_JSON = {"mimetype": "application/pdf", "filename": "invoice.pdf", "data": "JVBERi0xLjc="}
OGG = MediaFile(mimetype="audio/ogg; codecs=opus", url="http://files.local/v.ogg")
OGG_JSON = {"mimetype": "audio/ogg; codecs=opus", "url": "http://files.local/v.ogg"}
MP4 = MediaFile(mimetype="video/mp4", filename="v.mp4", url="http://files.local/v.mp4")
MP4_JSON = {"mimetype": "video/mp4", "filename": "v.mp4", "url": "http://files.local/v.mp4"}


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "path", "fields"),
    [
        (
            "send_file",
            (PDF,),
            {"caption": "Invoice"},
            "/api/sendFile",
            {"file": PDF_JSON, "caption": "Invoice"},
        ),
        ("send_image", (PDF,), {"reply_to": "x_1"}, "/api/sendImage", {"file": PDF_JSON, "reply_to": "x_1"}),
        ("send_voice", (OGG,), {}, "/api/sendVoice", {"file": OGG_JSON, "convert": True}),
        (
            "send_video",
            (MP4,),
            {"caption": "Look", "as_note": True, "convert": False},
            "/api/sendVideo",
            {"file": MP4_JSON, "caption": "Look", "asNote": True, "convert": False},
        ),
    ],
)
async def test_media_sends_post_wahas_request_body(
    method: str, args: tuple[MediaFile], kwargs: dict[str, object], path: str, fields: dict[str, object]
) -> None:
    script = Script(httpx.Response(201, json=SENT_JSON))
    async with script.client() as waha:
        sent = await getattr(waha, method)("default", CHAT, *args, **kwargs)
    request = script.requests[0]
    assert (request.method, request.url.path, json.loads(request.content), sent.key_id) == (
        "POST",
        path,
        {"session": "default", "chatId": CHAT, **fields},
        SENT_JSON["key"]["id"],
    )


def test_the_client_offers_no_generic_request_method() -> None:
    """WAHA serves its secrets at /api/server/environment: only named endpoints may be reachable."""
    public = sorted(name for name in dir(_Client) if not name.startswith("_"))
    assert public == [
        "aclose",
        "apply_session",
        "create_session",
        "delete_session",
        "download_media",
        "get_me",
        "get_qr_image",
        "get_qr_value",
        "get_session",
        "list_chats",
        "list_messages",
        "list_sessions",
        "logout_session",
        "ping",
        "request_pairing_code",
        "restart_session",
        "send_file",
        "send_image",
        "send_text",
        "send_video",
        "send_voice",
        "start_session",
        "stop_session",
        "update_session",
        "version",
    ]


async def test_clients_share_one_tls_context() -> None:
    """Building a context loads the CA bundle (0.8 MiB, 60 ms): the operator keeps a client per session."""
    clients = [WahaClient(f"https://waha-{index}:3000", api_key="k") for index in range(3)]
    contexts = {id(client._http._client._transport._pool._ssl_context) for client in clients}  # type: ignore[attr-defined]
    for client in clients:
        await client.aclose()
    assert len(contexts) == 1
