"""`POST /webhooks/waha/{session}`: signed WAHA deliveries in, rows and live events out.

Every WAHA container calls its own session `default`, so our session's identity is the URL. The HMAC is
checked on the raw body before anything is parsed or stored; the age of a delivery is not checked,
because WAHA's retries resend the original envelope for minutes and ingestion is idempotent anyway.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ValidationError

from conectafy.api import metrics
from conectafy.api.deps import DbDep, SessionDirectoryDep
from conectafy.api.services.ingest import Outcome, ingest_delivery
from conectafy.api.services.waha_events import Envelope
from conectafy.session import NAME_PATTERN
from conectafy.waha.signing import InvalidSignature, verify_signature

router = APIRouter(tags=["webhooks"])
#: A name that cannot be a WhatsAppSession is unknown without asking the directory (no Kubernetes read).
_SESSION_NAME = re.compile(NAME_PATTERN)


class WebhookAck(BaseModel):
    """`stored`: rows/events written; `duplicate`: a redelivery, nothing to do; `ignored`: accepted
    and deliberately not stored (presence, unknown events, protocol noise)."""

    outcome: Outcome
    event: str


def _unknown_session(event: str) -> HTTPException:
    metrics.WEBHOOK_DELIVERIES.labels(event, "unknown_session").inc()
    return HTTPException(status.HTTP_404_NOT_FOUND, "unknown session")


def _envelope(raw: bytes) -> Envelope:
    """Malformed JSON is a 400, a well-formed body that is not a WAHA envelope a 422 (parsed straight
    from the bytes by pydantic: the hot path builds no intermediate dicts)."""
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as error:
        metrics.WEBHOOK_DELIVERIES.labels("", "invalid").inc()
        errors = error.errors(include_input=False)
        if any(e["type"] == "json_invalid" for e in errors):
            detail = f"body is not JSON: {errors[0]['msg']}"
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail) from error
        details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in errors]
        raise HTTPException(422, details) from error


@router.post("/webhooks/waha/{session}", response_model=WebhookAck)
async def receive_waha_webhook(
    session: str, request: Request, pool: DbDep, directory: SessionDirectoryDep
) -> WebhookAck:
    """Verify, dedupe and store one delivery; 401 unsigned/forged, 404 unknown session, 200 otherwise."""
    key = await directory.webhook_key(session) if _SESSION_NAME.fullmatch(session) else None
    if key is None:
        raise _unknown_session("")
    raw = await request.body()
    try:
        verify_signature(raw, request.headers, key)
    except InvalidSignature as error:
        metrics.WEBHOOK_REJECTED_SIGNATURES.inc()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    envelope = _envelope(raw)
    try:
        result = await ingest_delivery(pool, session_name=session, envelope=envelope, nudger=directory)
    except ValidationError as error:
        metrics.WEBHOOK_DELIVERIES.labels(envelope.event, "invalid").inc()
        details = [{"loc": ["payload", *e["loc"]], "msg": e["msg"]} for e in error.errors()]
        raise HTTPException(422, details) from error
    if result.outcome == "unknown_session":
        raise _unknown_session(envelope.event)
    metrics.WEBHOOK_DELIVERIES.labels(envelope.event, result.outcome).inc()
    return WebhookAck(outcome=result.outcome, event=envelope.event)
