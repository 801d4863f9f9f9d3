"""One shared kr8s client with a bounded number of requests in flight.

kr8s sends through one `httpx.AsyncClient` whose pool keeps `KEEPALIVE_CONNECTIONS` connections
alive (httpx's default). Every non-streaming request waits on a semaphore of `MAX_IN_FLIGHT` slots,
fewer than the pool's connections, so the pool never queues: httpcore rescans its whole queue for each
request it assigns, so a deep queue costs quadratic CPU (the profile in docs/operator.md). Watches and
log streams hold a connection each outside the semaphore; `STREAM_HEADROOM` leaves room for them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import kr8s
import kr8s.asyncio

from conectafy.kube.errors import FAILURES, translate

KEEPALIVE_CONNECTIONS = 20  # httpx.Limits() default max_keepalive_connections, used by kr8s
STREAM_HEADROOM = 4
MAX_IN_FLIGHT = KEEPALIVE_CONNECTIONS - STREAM_HEADROOM

ApiFactory = Callable[[], Awaitable[kr8s.asyncio.Api]]


@dataclass(frozen=True)
class Resource:
    """A namespaced Kubernetes resource as the REST API addresses it."""

    api_version: str  # "v1", "apps/v1", "conectafy.io/v1alpha1"
    plural: str
    kind: str

    @property
    def base(self) -> str:
        return "/api" if self.api_version == "v1" else "/apis"


SECRETS = Resource("v1", "secrets", "Secret")
PVCS = Resource("v1", "persistentvolumeclaims", "PersistentVolumeClaim")
SERVICES = Resource("v1", "services", "Service")
PODS = Resource("v1", "pods", "Pod")
DEPLOYMENTS = Resource("apps/v1", "deployments", "Deployment")


def decode_secret(secret: Mapping[str, Any] | None) -> dict[str, str]:
    """A Secret's base64 `data` as text (the one Secret decoder of the project)."""
    data = (secret or {}).get("data") or {}
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


class KubeClient:
    """The process's one kr8s client, connected lazily (a component starts, and says why it is not
    ready, without a cluster), every request bounded by the in-flight semaphore."""

    def __init__(self, factory: ApiFactory, *, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self._factory = factory
        self._api: kr8s.asyncio.Api | None = None
        self._lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(max_in_flight)
        self.max_in_flight = max_in_flight
        #: Requests holding a slot now, and the most ever held (the benchmark reports both).
        self.in_flight = 0
        self.peak_in_flight = 0
        #: Told (method, path) of every request; the operator counts them for /metrics (one place).
        self.on_request: Callable[[str, str], None] | None = None

    @classmethod
    def from_config(cls, *, url: str | None = None, context: str | None = None) -> KubeClient:
        """The in-cluster service account, KUBECONFIG (optionally one `context`) or a bare URL."""
        if url:
            return cls(lambda: kr8s.asyncio.api(url=url))
        return cls(lambda: kr8s.asyncio.api(context=context) if context else kr8s.asyncio.api())

    async def api(self) -> kr8s.asyncio.Api:
        async with self._lock:
            if self._api is None:
                try:
                    self._api = await self._factory()
                except FAILURES as error:
                    raise translate(error) from error
            return self._api

    async def request(
        self, method: str, version: str, path: str, *, namespace: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """One request, its JSON answer; every failure is a KubeError."""
        api = await self.api()
        base = "/api" if version == "v1" else "/apis"
        if self.on_request is not None:
            self.on_request(method, path)
        if "json" in kwargs:
            kwargs["content"] = json.dumps(kwargs.pop("json"))
        async with self._slots:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                async with api.call_api(
                    method, version=version, base=base, namespace=namespace, url=path, **kwargs
                ) as response:
                    return response.json()  # type: ignore[no-any-return]
            except FAILURES as error:
                raise translate(error) from error
            finally:
                self.in_flight -= 1

    @contextlib.asynccontextmanager
    async def stream(
        self, version: str, path: str, *, namespace: str | None = None, params: Mapping[str, str]
    ) -> AsyncIterator[httpx.Response]:
        """A long GET (watch, log follow) outside the semaphore: it would hold a slot for minutes."""
        api = await self.api()
        base = "/api" if version == "v1" else "/apis"
        try:
            async with api.call_api(
                "GET",
                version=version,
                base=base,
                namespace=namespace,
                url=path,
                params=dict(params),
                stream=True,
                timeout=None,
            ) as response:
                yield response
        except FAILURES as error:
            raise translate(error) from error

    async def aclose(self) -> None:
        """Close the HTTP connections (kr8s has no public close; its session is an httpx client)."""
        session = getattr(self._api, "_session", None)
        if session is not None:
            await session.aclose()
