"""Sessions in their real shapes: resources whose status comes from the operator's own `build_status`.

Fixtures that play the operator use these, never hand-written status dicts, so a change of the status
model reaches the API's tests too.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from conectafy import labels
from conectafy.operator.status import Observation, build_status, phone_from_me_id
from conectafy.session import ObjectMeta, WhatsAppSession, WhatsAppSessionSpec, WhatsAppSessionStatus
from conectafy.waha.status import WahaStatus

#: The namespace the API tests serve (ApiSettings' default).
NAMESPACE = "conectafy"
ME_ID = "15550001111@c.us"


def operator_status(
    waha: WahaStatus | None = None,
    *,
    me_id: str | None = None,
    push_name: str | None = None,
    paused: bool = False,
    available: bool = True,
    endpoint: str | None = None,
    previous: WhatsAppSessionStatus | None = None,
    now: datetime | None = None,
) -> WhatsAppSessionStatus:
    """What the operator writes after observing a pod and WAHA (through its own builder)."""
    observation = Observation(
        generation=1,
        paused=paused,
        workload_exists=True,
        workload_available=available and not paused,
        waha_status=waha,
        phone_number=phone_from_me_id(me_id),
        push_name=push_name,
        endpoint=endpoint,
    )
    return build_status(observation, previous, now or datetime.now(UTC))


def connected_status(**kwargs: Any) -> WhatsAppSessionStatus:
    return operator_status(WahaStatus.WORKING, me_id=ME_ID, push_name="Acme", **kwargs)


def session_resource(
    name: str,
    *,
    owner: uuid.UUID | str | None,
    namespace: str = NAMESPACE,
    status: WhatsAppSessionStatus | None = None,
    uid: str | None = None,
    resource_version: int | None = None,
    paused: bool = False,
    deleting: bool = False,
) -> WhatsAppSession:
    """A WhatsAppSession as the API server returns it (uid, resourceVersion when given)."""
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {}}
    if owner is not None:
        meta["labels"][labels.OWNER] = str(owner)
    if uid is not None:
        meta["uid"] = uid
    if resource_version is not None:
        meta["resourceVersion"] = str(resource_version)
    if deleting:
        meta["deletionTimestamp"] = "2026-12-03T10:00:00Z"
    return WhatsAppSession(
        metadata=ObjectMeta.model_validate(meta),
        spec=WhatsAppSessionSpec(owner=str(owner) if owner else None, display_name=name, paused=paused),
        status=status,
    )


def resource_body(session: WhatsAppSession) -> dict[str, Any]:
    """The JSON a client posts to create the resource (what `kubectl apply` sends)."""
    body = session.to_k8s()
    body.pop("status", None)  # the status subresource is the operator's
    for server_field in ("uid", "resourceVersion", "deletionTimestamp"):
        body["metadata"].pop(server_field, None)
    return body
