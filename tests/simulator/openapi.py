"""Validate real HTTP exchanges (httpx) against WAHA's own OpenAPI document with openapi-core."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers

from tests.conftest import WAHA_FIXTURES

SPEC_2026_2_1 = WAHA_FIXTURES / "openapi-2026.2.1.json"
SPEC_2026_7_2 = WAHA_FIXTURES / "openapi-2026.7.2.json"


@cache
def waha_openapi(path: str = str(SPEC_2026_2_1)) -> OpenAPI:
    """WAHA's document as served; it has a `required: true` inside a property schema that strict
    OpenAPI 3.1 spec validation rejects, so the document itself is not validated (responses are)."""
    return OpenAPI.from_file_path(path, config=Config(spec_validator_cls=None))


@dataclass
class _Request:
    """openapi-core's Request protocol over an `httpx.Request`."""

    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: dict[str, Any]
    data: bytes | None


def _request(request: httpx.Request) -> _Request:
    return _Request(
        host_url="",
        path=request.url.path,
        method=request.method.lower(),
        body=request.content or None,
        content_type=request.headers.get("content-type", "application/json"),
        parameters=RequestParameters(
            query=dict(request.url.params),
            header=Headers(list(request.headers.items())),
            cookie={},
        ),
    )


def _response(response: httpx.Response) -> _Response:
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
    return _Response(response.status_code, content_type, dict(response.headers), response.content or None)


def validate_exchange(response: httpx.Response, spec: str = str(SPEC_2026_2_1)) -> None:
    """Raise unless the response is what WAHA's OpenAPI document declares for its request."""
    waha_openapi(spec).validate_response(_request(response.request), _response(response))


def validate_request(request: httpx.Request, spec: str = str(SPEC_2026_2_1)) -> None:
    """Raise unless the request is one WAHA's OpenAPI document accepts."""
    waha_openapi(spec).validate_request(_request(request))


def _captured_response(sample: dict[str, Any], request: httpx.Request) -> httpx.Response:
    captured = sample["response"]
    headers = [(k, v) for k, v in captured["headers"] if k.lower() == "content-type"]
    if "body_base64" in captured:
        content = base64.b64decode(captured["body_base64"])
    elif captured.get("body") is not None:
        content = json.dumps(captured["body"]).encode()
    else:
        content = captured.get("body_text", "").encode()
    return httpx.Response(captured["status"], headers=headers, content=content, request=request)


def check_openapi(response: httpx.Response, sample: dict[str, Any]) -> None:
    """Valid per WAHA's document, or invalid exactly where the real WAHA's answer was too."""
    try:
        validate_exchange(response)
    except Exception as ours:  # any validation failure is checked against WAHA's
        try:
            validate_exchange(_captured_response(sample, response.request))
        except Exception:  # the real WAHA violates the document the same way
            return
        raise AssertionError(f"{sample['name']}: only the simulator violates the OpenAPI document") from ours
