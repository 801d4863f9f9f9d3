"""`POST /webhooks/waha/{namespace}/{session}`: signed WAHA deliveries in, rows and live events out.

Every WAHA container calls its own session `default`, so our session's identity is the URL: namespace
and name, as names are only unique per namespace. A namespace this API does not serve is answered
404 like an unknown session, so same-named sessions elsewhere never reach these rows. The HMAC is
checked on the raw body before anything is parsed or stored; the age of a delivery is not checked,
because WAHA's retries resend the original envelope for minutes and ingestion is idempotent anyway.

The hottest route of the API (one request per WhatsApp message), so it is a plain Starlette route,
matched before every other route: no FastAPI dependency injection, request or response models per
request (issue 13 measured them at over a third of a delivery's CPU). What the route needs lives on
`app.state` (set at start-up, like `conectafy.api.deps` reads it). The contract stays the typed models
of `conectafy.waha.webhooks`: the body is decoded and validated once, by `parse_webhook`.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import HTTPException, status
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conectafy.api import metrics
from conectafy.api.services.backfill import reconnected
from conectafy.api.services.ingest import Outcome, ingest_delivery
from conectafy.session import NAME_PATTERN
from conectafy.waha.webhooks import (
    InvalidSignature,
    InvalidWebhook,
    WebhookEvent,
    WebhookNotJson,
    parse_webhook,
    verify_signature,
)

#: A name that cannot be a WhatsAppSession is unknown without asking the directory (no Kubernetes read).
_SESSION_NAME = re.compile(NAME_PATTERN)
PATH = "/webhooks/waha/{namespace}/{session}"


class WebhookAck(BaseModel):
    """`stored`: rows/events written; `duplicate`: a redelivery, nothing to do; `ignored`: accepted
    and deliberately not stored (presence, unknown events, protocol noise); `dead_lettered`: PostgreSQL
    refused its rows, so the delivery was kept as received in `webhook_dead_letters`."""

    outcome: Outcome
    event: str


def _ack(outcome: Outcome, event: str) -> Response:
    """The WebhookAck body, serialised directly (the two strings need no response-model validation)."""
    return Response(orjson.dumps({"outcome": outcome, "event": event}), media_type="application/json")


def _unknown_session(event: str) -> HTTPException:
    metrics.WEBHOOK_DELIVERIES.labels(event, "unknown_session").inc()
    return HTTPException(status.HTTP_404_NOT_FOUND, "unknown session")


def _parse(raw: bytes) -> WebhookEvent:
    """Malformed JSON is a 400; a well-formed body that is not a WAHA envelope, or a known event whose
    payload does not fit, a 422 listing what is wrong (wire names, e.g. `["payload", "from"]`)."""
    try:
        return parse_webhook(raw)
    except InvalidWebhook as error:
        metrics.WEBHOOK_DELIVERIES.labels("", "invalid").inc()
        if isinstance(error, WebhookNotJson):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
        raise HTTPException(422, error.errors) from error


async def _verified_body(request: Request, key: str) -> bytes:
    raw = await request.body()
    try:
        verify_signature(raw, request.headers, key)
    except InvalidSignature as error:
        metrics.WEBHOOK_REJECTED_SIGNATURES.inc()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    return raw


async def receive_waha_webhook(request: Request) -> Response:
    """Verify, dedupe and store one delivery; 401 unsigned/forged, 404 unknown session, 200 otherwise."""
    state: Any = request.app.state
    namespace, session = request.path_params["namespace"], request.path_params["session"]
    directory = state.session_directory
    ours = namespace == directory.namespace and _SESSION_NAME.fullmatch(session)
    key = await directory.webhook_key(session) if ours else None
    if key is None:
        raise _unknown_session("")
    raw = await _verified_body(request, key)
    event = _parse(raw)
    writer = getattr(state, "message_writer", None)
    result = await ingest_delivery(
        state.pool, session_name=session, event=event, nudger=directory, writer=writer, raw=raw
    )
    if result.outcome == "unknown_session":
        raise _unknown_session(event.event)
    metrics.WEBHOOK_DELIVERIES.labels(event.event, result.outcome).inc()
    copier = getattr(state, "media_copier", None)
    if result.media_row is not None and copier is not None:
        copier.schedule(result.media_row)  # after commit, in the background: never delays the answer
    backfiller = getattr(state, "backfiller", None)
    if backfiller is not None and result.outcome == "stored" and reconnected(event):
        backfiller.schedule(session, directory)  # what WAHA gave up delivering while we were away
    return _ack(result.outcome, event.event)


#: Registered first in the app's routes (`conectafy.api.main`), so no other route is tried before it.
route = Route(PATH, receive_waha_webhook, methods=["POST"], name="receive_waha_webhook")
