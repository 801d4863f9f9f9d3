"""`POST /webhooks/waha/{namespace}/{session}`: signed WAHA deliveries in, rows and live events out.

Every WAHA container calls its own session `default`, so our session's identity is the URL: namespace
and name, as names are only unique per namespace. A namespace this API does not serve is answered
404 like an unknown session, so same-named sessions elsewhere never reach these rows. The HMAC is
checked on the raw body before anything is parsed or stored; the age of a delivery is not checked,
because WAHA's retries resend the original envelope for minutes and ingestion is idempotent anyway.

The hottest path of the API (one request per WhatsApp message), so it is served by a plain ASGI layer
at the top of the app (`WebhookEndpoint`), before Starlette's routing, its exception wrappers and the
middleware: issue 13's profiles measured those layers at over a third of a delivery's CPU. It keeps
what they gave the route — the body size limit, JSON error bodies, the access log and HTTP metrics —
and the contract stays the typed models of `conectafy.waha.webhooks` (the body is decoded and validated
once, by `parse_webhook`). What it needs lives on `app.state`, set at start-up; tests replace it there.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from conectafy.api import metrics
from conectafy.api.errors import INTERNAL_ERROR_BODY, error_body
from conectafy.api.middleware import declared_too_large, observe_request, send_json, too_large_detail
from conectafy.api.services.backfill import reconnected
from conectafy.api.services.ingest import Outcome, ingest_delivery
from conectafy.logs import get_logger
from conectafy.session import NAME_PATTERN
from conectafy.waha.signing import HMAC_ALGORITHM_HEADER, HMAC_HEADER
from conectafy.waha.webhooks import (
    InvalidSignature,
    InvalidWebhook,
    WebhookEvent,
    WebhookNotJson,
    parse_webhook,
    verify_signature,
)

log = get_logger(__name__)

PATH = "/webhooks/waha/{namespace}/{session}"
_PATH = re.compile(r"/webhooks/waha/([^/]+)/([^/]+)")
#: A name that cannot be a WhatsAppSession is unknown without asking the directory (no Kubernetes read).
_SESSION_NAME = re.compile(NAME_PATTERN)
#: The two signature headers, as ASGI spells header names (lowercase bytes).
_SIGNATURE_HEADERS = {
    HMAC_HEADER.lower().encode(): HMAC_HEADER,
    HMAC_ALGORITHM_HEADER.lower().encode(): HMAC_ALGORITHM_HEADER,
}


class WebhookAck(BaseModel):
    """`stored`: rows/events written; `duplicate`: a redelivery, nothing to do; `ignored`: accepted
    and deliberately not stored (presence, unknown events, protocol noise); `dead_lettered`: PostgreSQL
    refused its rows, so the delivery was kept as received in `webhook_dead_letters`."""

    outcome: Outcome
    event: str


@dataclass
class Rejected(Exception):
    """A delivery answered with an error body instead of being stored."""

    status: int
    detail: Any
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


class ClientGone(Exception):
    """The sender hung up before its body arrived: nothing to store, nobody to answer."""


def _unknown_session(event: str) -> Rejected:
    metrics.webhook_deliveries(event, "unknown_session").inc()
    return Rejected(404, "unknown session")


def _parse(raw: bytes) -> WebhookEvent:
    """Malformed JSON is a 400; a well-formed body that is not a WAHA envelope, or a known event whose
    payload does not fit, a 422 listing what is wrong (wire names, e.g. `["payload", "from"]`)."""
    try:
        return parse_webhook(raw)
    except InvalidWebhook as error:
        metrics.webhook_deliveries("", "invalid").inc()
        if isinstance(error, WebhookNotJson):
            raise Rejected(400, str(error)) from error
        raise Rejected(422, error.errors) from error


def _verify(raw: bytes, scope: Scope, key: str) -> None:
    headers = {
        _SIGNATURE_HEADERS[name]: value.decode("latin-1")
        for name, value in scope["headers"]
        if name in _SIGNATURE_HEADERS
    }
    try:
        verify_signature(raw, headers, key)
    except InvalidSignature as error:
        metrics.WEBHOOK_REJECTED_SIGNATURES.inc()
        raise Rejected(401, str(error)) from error


async def _read_body(scope: Scope, receive: Receive, max_bytes: int) -> bytes:
    """The whole body, refused with 413 past `max_bytes` (declared or streamed), like `BodySizeLimit`."""
    too_large = Rejected(413, too_large_detail(max_bytes))
    if declared_too_large(scope, max_bytes):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        if not message.get("more_body", False):
            return chunk if not chunks else b"".join([*chunks, chunk])
        chunks.append(chunk)


async def _deliver(state: Any, directory: Any, scope: Scope, raw: bytes, session: str, key: str) -> bytes:
    """Verify, dedupe and store one delivery; the WebhookAck body."""
    _verify(raw, scope, key)
    event = _parse(raw)
    result = await ingest_delivery(
        state.pool, session_name=session, event=event, nudger=directory, writer=state.message_writer, raw=raw
    )
    if result.outcome == "unknown_session":
        raise _unknown_session(event.event)
    metrics.webhook_deliveries(event.event, result.outcome).inc()
    if result.media_row is not None and state.media_copier is not None:
        # after commit, in the background: never delays the answer
        state.media_copier.schedule(result.media_row)
    if result.outcome == "stored" and state.backfiller is not None and reconnected(event):
        # what WAHA gave up delivering while we were away
        state.backfiller.schedule(session, directory)
    return orjson.dumps({"outcome": result.outcome, "event": event.event})


def _route_path(scope: Scope) -> str:
    """The path below the app's mount point (`root_path`), as Starlette's router matches it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def openapi_paths() -> dict[str, Any]:
    """The endpoint's entry in the API's OpenAPI document: it is not a FastAPI route, so FastAPI does
    not describe it. The body is WAHA's envelope (CONTRACT.md), validated by `parse_webhook`."""
    path = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in ("namespace", "session")
    ]
    signature = [
        {"name": HMAC_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
        {
            "name": HMAC_ALGORITHM_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string", "enum": ["sha512"]},
        },
    ]
    ack = {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookAck"}}}
    post = {
        "tags": ["webhooks"],
        "summary": "Receive a signed WAHA webhook delivery",
        "operationId": "receive_waha_webhook",
        "parameters": [*path, *signature],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
            "200": {
                "description": "Stored, a duplicate, ignored or dead-lettered (see `outcome`)",
                "content": ack,
            },
            "400": _error("The body is not JSON"),
            "401": _error("Unsigned, another algorithm, or a signature that does not match the body"),
            "404": _error("No such session in this API's namespace"),
            "413": _error("The body is larger than the API accepts"),
            "422": _error("Not a WAHA envelope, or a known event whose payload does not fit"),
        },
    }
    return {PATH: {"post": post}}


class WebhookEndpoint:
    """The app's outermost layer: serves `PATH` itself and passes every other request on to `app`.

    401 unsigned/forged, 404 unknown session, 400/422 malformed, 413 too large, 405 not a POST, 200
    otherwise; an unexpected failure is logged and answered 500, so WAHA retries and nothing is lost."""

    def __init__(self, app: ASGIApp, *, state: State, max_bytes: int) -> None:
        self.app = app
        self.state = state
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.fullmatch(_route_path(scope)) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            status, body, headers = 200, await self._answer(scope, receive, *match.groups()), []
        except Rejected as rejected:
            status, body, headers = (
                rejected.status,
                orjson.dumps(error_body(rejected.status, rejected.detail)),
                rejected.headers,
            )
        except ClientGone:
            return
        except Exception:
            log.exception("unhandled error", method=scope["method"], path=scope["path"])
            status, body, headers = 500, orjson.dumps(INTERNAL_ERROR_BODY), []
        await send_json(send, status, body, headers)
        observe_request(scope, PATH, status, time.perf_counter() - started)

    async def _answer(self, scope: Scope, receive: Receive, namespace: str, session: str) -> bytes:
        if scope["method"] != "POST":
            raise Rejected(405, "Method Not Allowed", [(b"allow", b"POST")])
        raw = await _read_body(scope, receive, self.max_bytes)
        directory = self.state.session_directory
        ours = namespace == directory.namespace and _SESSION_NAME.fullmatch(session)
        key = await directory.webhook_key(session) if ours else None
        if key is None:
            raise _unknown_session("")
        return await _deliver(self.state, directory, scope, raw, session, key)
