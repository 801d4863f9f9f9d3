"""Where each session's WAHA is and which keys it uses, kept in memory from Kubernetes watches.

The webhook path asks for a session's HMAC key on every delivery, so the answer must not cost a
Kubernetes call: a watch of the operator's session Secrets fills the cache, and a miss (a session
created a moment ago) costs one read that is then cached. The same watcher follows the
WhatsAppSession resources for their `.status.endpoint` and hands every event to listeners (the
CR→row mirror).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

from pydantic import ValidationError

from conectafy import labels
from conectafy.kube import Kube, KubeError, WatchEvent, decode_secret
from conectafy.logs import get_logger
from conectafy.operator.identity import child_names
from conectafy.operator.manifests import API_KEY, WEBHOOK_HMAC_KEY
from conectafy.session import WhatsAppSession
from conectafy.session_keys import session_keys
from conectafy.waha.client import WahaClient
from conectafy.waha.status import DEFAULT_SESSION

log = get_logger(__name__)

#: Called with ("ADDED" | "MODIFIED" | "DELETED", resource) for every WhatsAppSession event.
SessionListener = Callable[[str, WhatsAppSession], Awaitable[None]]
#: Called after each (re-)list with every session name that exists and the list's resourceVersion.
SyncListener = Callable[[set[str], str | None], Awaitable[None]]


class SessionDirectory:
    """Per-session WAHA URL, API key and webhook HMAC key; nudges the operator after a webhook."""

    def __init__(
        self,
        kube: Kube,
        *,
        waha_url_template: str,
        waha_port: int,
        waha_timeout: float = 10.0,
        waha_retries: int = 1,
        nudge_debounce: float = 5.0,
        miss_ttl: float = 5.0,
        key_master: str | None = None,
    ) -> None:
        self.kube = kube
        #: With a master key, session keys are derived here and no Secret is ever read or watched.
        self._key_master = key_master
        self._template = waha_url_template
        self._port = waha_port
        self._waha_timeout = waha_timeout
        self._waha_retries = waha_retries
        self._nudge_debounce = nudge_debounce
        self._miss_ttl = miss_ttl
        self._secrets: dict[str, dict[str, str]] = {}
        self._endpoints: dict[str, str] = {}
        self._waha_sessions: dict[str, str] = {}
        self._misses: dict[str, float] = {}
        self._nudges: dict[str, tuple[str, float]] = {}
        self._listeners: list[SessionListener] = []
        self._sync_listeners: list[SyncListener] = []
        #: Every session that exists, once the first list arrived (None before): a miss for a name not in
        #: it is answered without asking Kubernetes, so made-up session names cost no API call.
        self._known: set[str] | None = None

    @property
    def namespace(self) -> str:
        """The one namespace whose sessions this API serves."""
        return self.kube.namespace

    def add_listener(self, listener: SessionListener, on_sync: SyncListener | None = None) -> None:
        self._listeners.append(listener)
        if on_sync is not None:
            self._sync_listeners.append(on_sync)

    async def webhook_key(self, session_name: str) -> str | None:
        """The key WAHA signs this session's webhooks with; None when the session has none (yet)."""
        return (await self._secret(session_name)).get(WEBHOOK_HMAC_KEY)

    async def waha_client(self, session_name: str) -> WahaClient:
        """A client for this session's WAHA: the operator's published endpoint, else the URL template.

        One retry only: a person is waiting for the answer (a QR, a sent message).
        """
        api_key = (await self._secret(session_name)).get(API_KEY)
        return WahaClient(
            self.base_url(session_name),
            api_key=api_key,
            timeout=self._waha_timeout,
            retries=self._waha_retries,
        )

    async def api_key(self, session_name: str) -> str | None:
        """The session's WAHA API key (the demo's phone routes call the simulator with it)."""
        return (await self._secret(session_name)).get(API_KEY)

    def waha_session(self, session_name: str) -> str:
        """The session's name inside its WAHA (`.status.wahaSession`); WAHA Core only has `default`."""
        return self._waha_sessions.get(session_name, DEFAULT_SESSION)

    def base_url(self, session_name: str) -> str:
        if session_name in self._endpoints:
            return self._endpoints[session_name]
        return self._template.format(
            name=session_name,
            namespace=self.kube.namespace,
            service=child_names(session_name).service,
            port=self._port,
        )

    async def nudge(self, session_name: str, waha_status: str) -> bool:
        """Ask the operator to re-read WAHA now; best effort, one patch per status per debounce window.

        Returns whether a patch was sent. A failure is logged, never raised: the operator's poll is the
        safety net, and a webhook must not fail because Kubernetes is slow.
        """
        now = asyncio.get_running_loop().time()
        last = self._nudges.get(session_name)
        if last is not None and last[0] == waha_status and now - last[1] < self._nudge_debounce:
            return False
        self._nudges[session_name] = (waha_status, now)
        annotations = {
            labels.WAHA_STATUS_HINT: waha_status,
            # Microseconds: the operator reacts to a change of this value only, and WAHA sends several
            # statuses within one second (SCAN_QR_CODE, STARTING, WORKING after a scan).
            labels.WAHA_STATUS_HINT_AT: datetime.now(UTC)
            .isoformat(timespec="microseconds")
            .replace("+00:00", "Z"),
        }
        try:
            await self.kube.patch_session(session_name, {"metadata": {"annotations": annotations}})
        except KubeError as error:
            log.warning("nudge failed", session=session_name, error=str(error))
            return False
        return True

    async def check_kubernetes(self) -> None:
        """For /ready: raises KubeError when the sessions of our namespace cannot be listed."""
        await self.kube.ping()

    async def _secret(self, session_name: str) -> dict[str, str]:
        """Cached Secret data; a miss reads the Secret once, an absent one is re-read after miss_ttl.
        With a key master: the derived keys of a session that exists, no Kubernetes read at all."""
        if self._key_master is not None:
            return self._derived(session_name)
        if session_name in self._secrets:
            return self._secrets[session_name]
        if self._known is not None and session_name not in self._known:
            return {}
        now = asyncio.get_running_loop().time()
        if now - self._misses.get(session_name, -self._miss_ttl) < self._miss_ttl:
            return {}
        try:
            data = await self.kube.get_session_secret(session_name)
        except KubeError as error:
            log.warning("session secret read failed", session=session_name, error=str(error))
            data = None
        if data is None:
            self._misses[session_name] = now
            return {}
        self._secrets[session_name] = data
        return data

    def _derived(self, session_name: str) -> dict[str, str]:
        if self._known is None or session_name not in self._known or self._key_master is None:
            return {}  # before the first list, or no such session: unknown, as with Secrets
        api_key, webhook_key = session_keys(self._key_master, namespace=self.namespace, name=session_name)
        return {API_KEY: api_key, WEBHOOK_HMAC_KEY: webhook_key}

    async def run(self, *, retry_delay: float = 1.0, max_delay: float = 30.0) -> None:
        """Follow the sessions (and, without a key master, their Secrets) until cancelled."""
        follows = [self._follow(self.kube.watch_sessions, self.apply_session_event, retry_delay, max_delay)]
        if self._key_master is None:
            follows.append(
                self._follow(self.kube.watch_session_secrets, self.apply_secret_event, retry_delay, max_delay)
            )
        await asyncio.gather(*follows)

    async def _follow(
        self,
        open_watch: Callable[[], AsyncIterator[WatchEvent]],
        handle: Callable[[WatchEvent], Awaitable[None]],
        retry_delay: float,
        max_delay: float,
    ) -> None:
        """Re-open a watch whenever it ends; each new stream starts with ADDED for what exists (resync)."""
        delay = retry_delay
        while True:
            seen = 0
            try:
                async for event in open_watch():
                    seen += 1
                    await self._handle(handle, event)
            except KubeError as error:
                log.warning("watch failed; retrying", error=str(error), retry_in=delay)
            if seen:
                delay = retry_delay
            else:  # an error or an empty stream: back off instead of spinning on a sick API server
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_delay)

    @staticmethod
    async def _handle(handle: Callable[[WatchEvent], Awaitable[None]], event: WatchEvent) -> None:
        try:
            await handle(event)
        except ValidationError as error:
            log.warning("ignored a resource that does not fit the model", error=str(error))
        except Exception:  # a listener's failure (e.g. the database) must not stop the watch
            log.exception("watch event handling failed", type=event.type)

    async def apply_secret_event(self, event: WatchEvent) -> None:
        meta = event.object.get("metadata", {})
        session_name = (meta.get("labels") or {}).get(labels.SESSION)
        if not session_name or meta.get("name") != child_names(session_name).secret:
            return  # not a session Secret (a server that ignores the selector sends everything)
        if event.type == "DELETED":
            self._secrets.pop(session_name, None)
        else:
            self._secrets[session_name] = decode_secret(event.object)
            self._misses.pop(session_name, None)

    async def apply_session_event(self, event: WatchEvent) -> None:
        if event.type == "SYNCED":
            self._known = set(event.object["names"])
            for on_sync in self._sync_listeners:
                await on_sync(set(self._known), event.object.get("resourceVersion"))
            return
        session = WhatsAppSession.model_validate(event.object)
        name = session.metadata.name
        if self._known is not None and event.type == "DELETED":
            self._known.discard(name)
        elif self._known is not None:
            self._known.add(name)
        status = session.status
        _remember(self._endpoints, name, None if event.type == "DELETED" or not status else status.endpoint)
        _remember(
            self._waha_sessions, name, None if event.type == "DELETED" or not status else status.waha_session
        )
        if event.type == "DELETED":
            self._secrets.pop(name, None)
            self._nudges.pop(name, None)
        for listener in self._listeners:
            await listener(event.type, session)


def _remember(cache: dict[str, str], key: str, value: str | None) -> None:
    if value:
        cache[key] = value
    else:
        cache.pop(key, None)
