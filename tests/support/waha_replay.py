"""Replay captured WAHA exchanges (tests/fixtures/waha/samples) through `httpx.MockTransport`."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx

from conectafy.waha import SessionConfig, WahaClient
from tests.conftest import load_waha_sample

Call = Callable[[WahaClient], Awaitable[Any]]
CHAT = "15550002222@c.us"
KEY = "test-api-key"
VERSIONS = ("2024", "2026")


def call(method: str, *args: Any, **kwargs: Any) -> Call:
    """`client.<method>(*args, **kwargs)`, to be run later against a replayed WAHA."""

    async def invoke(client: WahaClient) -> Any:
        return await getattr(client, method)(*args, **kwargs)

    return invoke


def config_of(sample: str) -> SessionConfig:
    """The config the captured request sent, so the client must send the very same body."""
    return SessionConfig.model_validate(load_waha_sample(sample)["request"]["body"]["config"])


#: The capture left `start` out; the client always sends it, Core's code defaults it to false (§8.1).
SENT_ALSO = {
    f"api-{version}-015-session-create-existing-default.json": {"start": True} for version in ("2024", "2026")
}


async def replay(action: Call, *samples: str) -> Any:
    """Run `action` on a client holding the key the capture used (none, wrong or right)."""
    exchange = Replay(*samples, sent_also=SENT_ALSO.get(samples[0]))
    api_key = load_waha_sample(samples[0])["request"]["headers"].get("X-Api-Key")
    async with WahaClient("http://waha:3000", api_key=api_key, transport=exchange.transport) as client:
        try:
            return await action(client)
        finally:
            exchange.assert_requests_match()


class Replay:
    """Answers the client's requests with captured WAHA responses, in order, and keeps the requests."""

    def __init__(self, *names: str, sent_also: dict[str, Any] | None = None) -> None:
        """`sent_also`: body fields the client adds on purpose to what the capture sent."""
        self.samples = [load_waha_sample(name) for name in names]
        self.requests: list[httpx.Request] = []
        self.sent_also = sent_also or {}

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if len(self.requests) >= len(self.samples):
            raise AssertionError(f"unexpected extra request {request.method} {request.url}")
        sample = self.samples[len(self.requests)]
        self.requests.append(request)
        return captured_response(sample)

    def assert_requests_match(self) -> None:
        """Each request the client sent is the captured one: method, path, query, headers, body."""
        assert len(self.requests) == len(self.samples)
        for request, sample in zip(self.requests, self.samples, strict=True):
            captured = sample["request"]
            if self.sent_also:
                captured = {**captured, "body": {**captured["body"], **self.sent_also}}
            assert_same_request(request, captured)


def captured_response(sample: dict[str, Any]) -> httpx.Response:
    """The captured answer: status, Content-Type and the body (JSON, text or base64 bytes)."""
    captured = sample["response"]
    headers = [(name, value) for name, value in captured["headers"] if name.lower() == "content-type"]
    if "body_base64" in captured:
        content = base64.b64decode(captured["body_base64"])
    elif captured.get("body") is not None:
        content = json.dumps(captured["body"]).encode()
    else:
        content = captured.get("body_text", "").encode()
    return httpx.Response(captured["status"], headers=headers, content=content)


def assert_same_request(request: httpx.Request, captured: dict[str, Any]) -> None:
    path, _, query = captured["path"].partition("?")
    sent_headers = {name.lower(): value for name, value in request.headers.items()}
    wanted_headers = {name.lower(): value for name, value in captured["headers"].items()}
    sent_body = json.loads(request.content) if request.content else None
    sent = {
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.url.params),
        "headers": {name: sent_headers.get(name) for name in wanted_headers},
        "api_key_sent": "x-api-key" in sent_headers,
        "body": sent_body,
    }
    wanted = {
        "method": captured["method"],
        "path": path,
        "query": dict(parse_qsl(query)),
        "headers": wanted_headers,
        "api_key_sent": "x-api-key" in wanted_headers,
        "body": captured["body"],
    }
    assert sent == wanted, f"the client sent\n{sent}\nWAHA was sent\n{wanted}"


def response_body(name: str) -> Any:
    """The JSON body WAHA answered in sample `name`."""
    return load_waha_sample(name)["response"]["body"]
