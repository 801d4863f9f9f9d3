"""The operator's whole event surface on one screen: thin kopf handlers over `reconcile`.

Create/resume/update and the annotation nudges are edge-triggered shortcuts; the per-session timer
is the level-based truth (children healed, WAHA polled). Handlers write status only through
`patch.status` and never return values (kopf would store them in the status, which our structural
schema prunes). Settings reach handlers through kopf's `memo`, so tests can run fast timers.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from typing import Any

import httpx
import kopf
import kr8s
from pydantic import ValidationError

from conectafy import labels
from conectafy.operator import observed, reconcile, waha_sync
from conectafy.operator.kube import Kube
from conectafy.operator.manifests import API_KEY, SessionRef, child_names, decode_secret_data, waha_base_url
from conectafy.session import GROUP, PLURAL, VERSION, WhatsAppSessionSpec, WhatsAppSessionStatus
from conectafy.settings import OperatorSettings

RESOURCE = (GROUP, VERSION, PLURAL)
RESTARTED_AT_FIELD = ("metadata", "annotations", labels.RESTARTED_AT)
HINT_FIELD = ("metadata", "annotations", labels.WAHA_STATUS_HINT_AT)
LAST_POLL = "last_waha_poll"
KOPF_PREFIX = "kopf.conectafy.io"
API_RETRY_DELAY = 10.0  # seconds; kopf's default (60 s) is too long for a blip of the API server


def session_ref(body: kopf.Body) -> SessionRef:
    """The typed view builders need; an invalid spec can never work, so it fails permanently."""
    meta = body.get("metadata", {})
    try:
        spec = WhatsAppSessionSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        raise kopf.PermanentError(f"Invalid spec: {error}") from error
    return SessionRef(
        name=meta["name"],
        namespace=meta["namespace"],
        uid=meta.get("uid", ""),
        generation=int(meta.get("generation") or 0),
        spec=spec,
        restarted_at=(meta.get("annotations") or {}).get(labels.RESTARTED_AT),
        owner_label=(meta.get("labels") or {}).get(labels.OWNER),
    )


def previous_status(raw: dict[str, Any]) -> WhatsAppSessionStatus | None:
    """The last status we wrote; an unreadable one (hand-edited) is treated as none."""
    raw = {key: value for key, value in raw.items() if value is not None and key != "kopf"}
    if not raw.get("phase"):
        return None
    try:
        return WhatsAppSessionStatus.model_validate(raw)
    except ValidationError:
        return None


async def _reconcile(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, *, poll_waha: bool) -> None:
    """One reconcile; several handlers of one kopf cycle see each other's status through `patch`."""
    settings: OperatorSettings = memo["settings"]
    now = datetime.now(UTC)
    current = {**(body.get("status") or {}), **patch.get("status", {})}
    with observed.reconcile_metrics():
        try:
            ref, previous = session_ref(body), previous_status(current)
            outcome = await reconcile.reconcile_session(
                memo["kube"], ref, previous, settings, poll_waha=poll_waha, now=now
            )
        except (kr8s.ServerError, httpx.HTTPError) as error:  # the API server is busy or away: retry soon
            raise kopf.TemporaryError(f"Kubernetes API: {error}", delay=API_RETRY_DELAY) from error
    observed.session_status(memo, body, outcome.status)
    if outcome.waha_read:
        memo[LAST_POLL] = now
    status_patch = _with_removals(current, outcome.status)
    if any(current.get(key) != value for key, value in status_patch.items()):
        patch.status.update(status_patch)


def _with_removals(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """A merge patch that also clears fields that no longer apply (e.g. waStatus when paused)."""
    return {**{key: None for key in current if key not in desired and current[key] is not None}, **desired}


async def on_session_create(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **_: Any) -> None:
    """A new number: build its children at once rather than waiting for the timer."""
    await _reconcile(body, memo, patch, poll_waha=True)


async def on_session_resume(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **_: Any) -> None:
    """Operator (re)start: every existing session is reconciled once before the timers tick."""
    await _reconcile(body, memo, patch, poll_waha=True)


async def on_session_update(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **_: Any) -> None:
    """Spec changed (engine, paused, storage, …): roll the children now."""
    await _reconcile(body, memo, patch, poll_waha=True)


async def on_session_restart(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **_: Any) -> None:
    """`conectafy.io/restartedAt` changed: the Deployment template gets it, so pods roll."""
    await _reconcile(body, memo, patch, poll_waha=True)


async def on_waha_status_hint(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **_: Any) -> None:
    """The API saw a session.status webhook: re-read WAHA now instead of at the next poll."""
    await _reconcile(body, memo, patch, poll_waha=True)


async def sync_session_status(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **_: Any) -> None:
    """Level-based safety net: heal drifted/deleted children; poll WAHA every status_poll_interval."""
    settings: OperatorSettings = memo["settings"]
    last: datetime | None = memo.get(LAST_POLL)
    due = last is None or (datetime.now(UTC) - last).total_seconds() >= settings.status_poll_interval
    await _reconcile(body, memo, patch, poll_waha=due)


async def on_session_delete(body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    """Unlink the phone before the data goes (best effort, time-bounded); GC removes the children."""
    settings: OperatorSettings = memo["settings"]
    ref = session_ref(body)
    observed.forget_session(memo, ref.namespace, ref.name)
    if ref.spec.paused:
        return  # no WAHA is running to log out
    kube: Kube = memo["kube"]
    secret = await kube.get_secret(ref.namespace, child_names(ref.name).secret)
    api_key = decode_secret_data((secret or {}).get("data")).get(API_KEY)
    if api_key is None:
        logger.warning("No API key in the session's Secret; skipping WAHA logout.")
        return
    endpoint = waha_sync.WahaEndpoint(waha_base_url(ref, settings), api_key, settings.logout_timeout)
    error = await waha_sync.logout_session(endpoint)
    if error is not None:
        logger.warning(f"WAHA logout failed (the session is deleted anyway): {error}")


def configure_kopf(kopf_settings: kopf.OperatorSettings, *, standalone: bool) -> int:
    """Tuned for 500+ sessions and two replicas; every choice is documented in docs/operator.md."""
    kopf_settings.persistence.finalizer = f"{KOPF_PREFIX}/finalizer"
    # Progress/diff-base in annotations: our structural status schema would prune `status.kopf`. Their
    # own prefix: kopf ignores every annotation under its prefix, and ours (restartedAt…) must count.
    kopf_settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX)
    kopf_settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=KOPF_PREFIX, key="last-handled-configuration"
    )
    kopf_settings.posting.level = logging.WARNING  # our own Events tell the story; no per-handler noise
    kopf_settings.watching.server_timeout = 300  # re-list every ~5 min: bounded staleness, cheap at scale
    kopf_settings.watching.client_timeout = 330
    kopf_settings.watching.connect_timeout = 30
    kopf_settings.networking.request_timeout = 60
    kopf_settings.batching.worker_limit = 200  # 500 sessions' timers must not open 500 sockets at once
    kopf_settings.execution.max_workers = 20  # only sync code uses it; all our handlers are async
    kopf_settings.peering.standalone = standalone
    # Equal priorities make every peer freeze (kopf docs); random ones leave exactly one active.
    kopf_settings.peering.priority = random.randint(1, 32767)
    return kopf_settings.peering.priority


def build_registry(
    settings: OperatorSettings, *, standalone: bool = False, serving: observed.Serving | None = None
) -> kopf.OperatorRegistry:
    """All handlers, registered with the timer intervals from `settings`; `serving`: the /metrics."""
    registry = kopf.OperatorRegistry()

    @kopf.on.startup(registry=registry)
    async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
        priority = configure_kopf(settings, standalone=standalone)
        memo["settings"] = operator_settings
        memo["kube"] = await Kube.connect()
        await observed.start(memo, serving, standalone=standalone, priority=priority)

    @kopf.on.cleanup(registry=registry)
    async def stop_serving(memo: kopf.Memo, **_: Any) -> None:
        await observed.stop(memo)

    @kopf.on.login(registry=registry)
    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        """In a pod: the service account; outside (development, e2e, bench): KUBECONFIG."""
        return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)

    operator_settings = settings
    kopf.on.create(*RESOURCE, registry=registry)(on_session_create)
    kopf.on.resume(*RESOURCE, registry=registry)(on_session_resume)
    kopf.on.update(*RESOURCE, field="spec", registry=registry)(on_session_update)
    kopf.on.field(*RESOURCE, field=RESTARTED_AT_FIELD, registry=registry)(on_session_restart)
    kopf.on.field(*RESOURCE, field=HINT_FIELD, registry=registry)(on_waha_status_hint)
    kopf.timer(
        *RESOURCE,
        interval=settings.drift_check_interval,
        initial_delay=settings.drift_check_interval,
        registry=registry,
    )(sync_session_status)
    kopf.on.delete(*RESOURCE, registry=registry)(on_session_delete)
    return registry
