"""The operator's whole event surface on one screen: thin kopf handlers over `reconcile`.

Create/resume/update and the annotation nudges are edge-triggered shortcuts; the per-session timer
is the level-based truth (status from the caches, WAHA polled). Children are watched: a child deleted
or edited by someone else is healed from its watch event. Every path reconciles under the session's
guard (one at a time per session). Handlers write status only through `patch.status`, never return
values, and post Events through kopf (queued and retried by kopf; a failed post fails nothing).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import kopf
from pydantic import ValidationError

from conectafy import labels
from conectafy.kube.children import delete_child, get_child
from conectafy.kube.client import SECRETS, KubeClient, decode_secret
from conectafy.kube.errors import KubeError
from conectafy.memory import release_periodically
from conectafy.operator import cache, connections, observed, reconcile, waha_sync
from conectafy.operator.children import ensure_children
from conectafy.operator.guard import Guards
from conectafy.operator.identity import MANAGED_BY
from conectafy.operator.manifests import API_KEY, SessionRef, child_names, waha_base_url
from conectafy.operator.status import Transition
from conectafy.session import GROUP, PLURAL, VERSION, WhatsAppSessionSpec, WhatsAppSessionStatus
from conectafy.settings import OperatorSettings

RESOURCE = (GROUP, VERSION, PLURAL)
RESTARTED_AT_FIELD = ("metadata", "annotations", labels.RESTARTED_AT)
HINT_FIELD = ("metadata", "annotations", labels.WAHA_STATUS_HINT_AT)
KOPF_PREFIX = "kopf.conectafy.io"
#: How often freed heap memory goes back to the kernel (`conectafy.memory`): a few ms each time.
MEMORY_RELEASE_INTERVAL = 10.0
MEMORY_RELEASER = "memory_releaser"  # the memo key of that task
API_RETRY_DELAY = 10.0  # seconds; kopf's default (60 s) is too long for a blip of the API server
log = logging.getLogger(__name__)


def session_ref(body: Mapping[str, Any]) -> SessionRef:
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


def post_events(body: Mapping[str, Any], events: list[Transition]) -> None:
    """Queue the Events on kopf's poster: it posts them in the background and retries; a failure is
    logged by kopf, never raised into a reconcile."""
    for event in events:
        try:
            kopf.event(body, type=event.type, reason=event.reason, message=event.message[:1024])  # type: ignore[arg-type]
        except LookupError:  # not inside a running kopf operator (a direct call in a test)
            log.debug("no kopf context; Event %s not posted", event.reason)


async def _reconcile(
    body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, indexes: Mapping[str, Any], *, poll: bool | None
) -> None:
    """One reconcile under the session's guard; `poll=None`: read WAHA when the poll interval is due."""
    settings: OperatorSettings = memo["settings"]
    ref = session_ref(body)
    guard = memo["guards"].get(ref.uid)
    current = {**(body.get("status") or {}), **patch.get("status", {})}
    async with guard.lock:
        now = datetime.now(UTC)
        due = (
            guard.last_poll is None
            or (now - guard.last_poll).total_seconds() >= settings.status_poll_interval
        )
        cached = cache.children_of(indexes, (ref.namespace, ref.name), child_names(ref.name).secret)
        with observed.reconcile_metrics():
            try:
                outcome = await reconcile.reconcile_session(
                    memo["clients"],
                    ref,
                    guard.status or previous_status(current),
                    cached,
                    settings,
                    poll_waha=due if poll is None else poll,
                    now=now,
                )
            except KubeError as error:  # the API server is busy or away: retry soon
                raise kopf.TemporaryError(f"Kubernetes API: {error}", delay=API_RETRY_DELAY) from error
        guard.status = outcome.status
        observed.session_status(memo, body, outcome.status.to_k8s())
        guard.reconciles += 1
        if outcome.waha_read:
            guard.last_poll = now
    post_events(body, outcome.events)
    status_patch = reconcile.status_patch(current, outcome.status.to_k8s())
    if any(current.get(key) != value for key, value in status_patch.items()):
        patch.status.update(status_patch)


async def on_session_create(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **kwargs: Any) -> None:
    """A new number: build its children at once rather than waiting for the timer."""
    await _reconcile(body, memo, patch, kwargs, poll=True)


async def on_session_resume(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **kwargs: Any) -> None:
    """Operator (re)start: every existing session is reconciled once before the timers tick."""
    await _reconcile(body, memo, patch, kwargs, poll=True)


async def on_session_update(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **kwargs: Any) -> None:
    """Spec changed (engine, paused, storage, …): roll the children now."""
    await _reconcile(body, memo, patch, kwargs, poll=True)


async def on_session_restart(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **kwargs: Any) -> None:
    """`conectafy.io/restartedAt` changed: the Deployment template gets it, so pods roll."""
    await _reconcile(body, memo, patch, kwargs, poll=True)


async def on_waha_status_hint(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **kwargs: Any) -> None:
    """The API saw a session.status webhook: re-read WAHA now instead of at the next poll."""
    await _reconcile(body, memo, patch, kwargs, poll=True)


async def sync_session_status(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **kwargs: Any) -> None:
    """Level-based safety net: status from the caches (no request when nothing changed); WAHA every
    status_poll_interval."""
    await _reconcile(body, memo, patch, kwargs, poll=None)


async def on_child_event(
    *, event: kopf.RawEvent, body: kopf.Body, memo: kopf.Memo, param: Any = None, **kwargs: Any
) -> None:
    """A child changed or vanished and it was not our own write: heal it now, from the watch event."""
    clients: reconcile.Clients = memo["clients"]
    if not clients.ledger.needs_heal(param, body, deleted=event.get("type") == "DELETED"):
        return
    key = cache.session_key_of(body)
    owner = cache.session_of(kwargs, key)
    if owner is None or owner["metadata"].get("deletionTimestamp"):
        return  # the session is gone or going: garbage collection takes its children
    ref = session_ref(owner)
    guard = memo["guards"].get(ref.uid)
    written = clients.ledger.last_write(param, body)
    async with guard.lock:
        if clients.ledger.last_write(param, body) != written:
            return  # written again while we waited: that write healed it
        previous = guard.status or previous_status(owner.get("status") or {})
        if reconcile.rejected_this_generation(ref, previous):
            return
        cached = cache.children_of(kwargs, key, child_names(ref.name).secret)
        try:
            healed = reconcile.with_healed_at(ref, previous)
            await ensure_children(clients.kube, clients.ledger, healed, cached, memo["settings"])
        except KubeError as error:
            log.warning("healing the children of %s/%s failed (the timer retries): %s", *key, error)


async def on_session_delete(body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **kwargs: Any) -> None:
    """Unlink the phone while WAHA still runs, then delete the Secret: it co-owns the Deployment and the
    Service (`guard_reference`), so garbage collection — even `--cascade=foreground` — takes them only
    after the logout. The logout is best effort and time-bounded; the deletion always proceeds."""
    settings: OperatorSettings = memo["settings"]
    clients: reconcile.Clients = memo["clients"]
    ref = session_ref(body)
    names = child_names(ref.name)
    cached = cache.children_of(kwargs, (ref.namespace, ref.name), names.secret)
    memo["guards"].forget(ref.uid)
    observed.forget_session(memo, ref.namespace, ref.name)
    clients.ledger.forget(ref.namespace, names.secret)
    await clients.waha.close(ref.uid)
    try:
        if not ref.spec.paused:  # a paused session has no WAHA running to log out
            secret_data = cached.secret.secret_data if cached.secret else None
            if secret_data is None:  # not (yet) in the cache: read it once
                secret_data = decode_secret(
                    await get_child(clients.kube, SECRETS, ref.namespace, names.secret)
                )
            await _logout(ref, settings, secret_data.get(API_KEY), logger)
        await delete_child(clients.kube, SECRETS, ref.namespace, names.secret)
    except KubeError as error:
        raise kopf.TemporaryError(f"Kubernetes API: {error}", delay=API_RETRY_DELAY) from error


async def _logout(
    ref: SessionRef, settings: OperatorSettings, api_key: str | None, logger: kopf.Logger
) -> None:
    if api_key is None:
        logger.warning("No API key in the session's Secret; skipping WAHA logout.")
        return
    endpoint = waha_sync.WahaEndpoint(waha_base_url(ref, settings), api_key, settings.logout_timeout)
    error = await waha_sync.logout_session(endpoint)
    if error is not None:
        logger.warning(f"WAHA logout failed (the session is deleted anyway): {error}")


def needs_cluster_scanning(namespaces: list[str], *, clusterwide: bool) -> bool:
    """Whether kopf must list/watch cluster-scoped namespaces and CRDs.

    Cluster-wide, kopf follows CRDs (the chart's ClusterRole allows it). With exact namespace names
    there is nothing to discover: a namespaced Role cannot allow cluster-scope lists, and kopf would
    retry the refused ones for about 80 s (9 attempts) on every start before reconciling anything.
    Only glob/negation patterns (`tenant-*`, `!kube-*`) need the namespace list to be resolved.
    """
    return clusterwide or any(set(pattern) & set("*?[]!,") for pattern in namespaces)


def configure_kopf(kopf_settings: kopf.OperatorSettings, *, standalone: bool, scanning: bool = True) -> int:
    """Tuned for 500+ sessions and two replicas; every choice is documented in docs/operator.md."""
    kopf_settings.scanning.disabled = not scanning  # see needs_cluster_scanning
    kopf_settings.persistence.finalizer = labels.FINALIZER
    # Progress/diff-base in annotations: our structural status schema would prune `status.kopf`. Their
    # own prefix: kopf ignores every annotation under its prefix, and ours (restartedAt…) must count.
    kopf_settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX)
    kopf_settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=KOPF_PREFIX, key="last-handled-configuration"
    )
    kopf_settings.posting.level = logging.WARNING  # our own Events tell the story; no per-handler noise
    kopf_settings.posting.reporting_component = MANAGED_BY
    kopf_settings.watching.server_timeout = 300  # re-list every ~5 min: bounded staleness, cheap at scale
    kopf_settings.watching.client_timeout = 330
    kopf_settings.watching.connect_timeout = 30
    kopf_settings.networking.request_timeout = 60
    # No limit on kopf's per-object workers (its default). With indexes, a worker waits until every
    # index is pre-populated at start; a limit below the number of sessions deadlocks a restart (seen
    # at 500 sessions with a limit of 200). Our requests are bounded by KubeClient's semaphore instead.
    kopf_settings.queueing.worker_limit = None
    kopf_settings.execution.max_workers = 20  # only sync code uses it; all our handlers are async
    kopf_settings.peering.standalone = standalone
    # Equal priorities make every peer freeze (kopf docs); random ones leave exactly one active.
    kopf_settings.peering.priority = random.randint(1, 32767)
    return kopf_settings.peering.priority


def _register_caches(registry: kopf.OperatorRegistry) -> None:
    """Indexes of the sessions and of each child kind, and a healing handler per child kind."""
    kopf.index(*RESOURCE, id="sessions", registry=registry)(cache.index_session)
    for name, resource in cache.CHILD_INDEXES.items():
        group, _, version = resource.api_version.rpartition("/")
        spec = (group, version, resource.plural) if group else (version, resource.plural)
        kopf.index(*spec, id=name, labels=cache.CHILD_LABELS, registry=registry)(cache.index_child)
        kopf.on.event(
            *spec, id=f"heal_{resource.plural}", labels=cache.CHILD_LABELS, param=resource, registry=registry
        )(on_child_event)


def build_registry(
    settings: OperatorSettings,
    *,
    standalone: bool = False,
    scanning: bool = True,
    guards: Guards | None = None,
    serving: observed.Serving | None = None,
    kopf_connections: int | None = None,
) -> kopf.OperatorRegistry:
    """All handlers, registered with the timer intervals from `settings`; `guards` may be given to
    watch the sessions' reconciles from outside (tests, the benchmark); `serving`: the /metrics;
    `kopf_connections`: the bound of kopf's own connection pool (`connections.pool_size`)."""
    registry = kopf.OperatorRegistry()
    operator_settings = settings
    session_guards = guards if guards is not None else Guards()

    @kopf.on.startup(registry=registry)
    async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
        priority = configure_kopf(settings, standalone=standalone, scanning=scanning)
        memo["settings"] = operator_settings
        memo["guards"] = session_guards
        memo["clients"] = reconcile.Clients(
            kube=KubeClient.from_config(), ledger=cache.Ledger(), waha=waha_sync.WahaClients()
        )
        await observed.start(memo, serving, standalone=standalone, priority=priority)
        memo[MEMORY_RELEASER] = asyncio.create_task(release_periodically(MEMORY_RELEASE_INTERVAL))

    @kopf.on.cleanup(registry=registry)
    async def close(memo: kopf.Memo, **_: Any) -> None:
        memo[MEMORY_RELEASER].cancel()
        await observed.stop(memo)
        clients: reconcile.Clients = memo["clients"]
        await clients.waha.aclose()
        await clients.kube.aclose()

    @kopf.on.login(registry=registry)
    async def login(**kwargs: Any) -> kopf.ConnectionInfo | kopf.AiohttpSession | None:
        """In a pod: the service account; outside (development, e2e, bench): KUBECONFIG. Through a
        bounded pool of connections when `kopf_connections` is given (`conectafy.operator.connections`)."""
        info = kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)
        if info is None or kopf_connections is None:
            return info
        return connections.bounded_session(info, kopf_connections)

    _register_caches(registry)
    kopf.on.create(*RESOURCE, registry=registry)(on_session_create)
    kopf.on.resume(*RESOURCE, registry=registry)(on_session_resume)
    kopf.on.update(*RESOURCE, field="spec", registry=registry)(on_session_update)
    kopf.on.field(*RESOURCE, field=RESTARTED_AT_FIELD, registry=registry)(on_session_restart)
    kopf.on.field(*RESOURCE, field=HINT_FIELD, registry=registry)(on_waha_status_hint)
    interval = min(settings.drift_check_interval, settings.status_poll_interval)
    kopf.timer(
        *RESOURCE,
        interval=interval,
        idle=interval / 2,  # never while change handlers are busy with the object (they patch it)
        initial_delay=lambda **_: random.uniform(interval / 2, interval * 1.5),  # 500 timers spread out
        registry=registry,
    )(sync_session_status)
    kopf.on.delete(*RESOURCE, registry=registry)(on_session_delete)
    return registry
