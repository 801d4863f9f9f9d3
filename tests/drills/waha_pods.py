"""The operator drill's kubelet: every WAHA Deployment the operator makes gets its container — the WAHA
simulator, configured from the Deployment's own environment — and is reported Running and Ready the way
the demo kubelet reports it (conectafy/demo/kubelet.py, whose pure parts in conectafy/demo/pods.py this
reuses). The demo runs each container as a `conectafy waha-sim` process behind the API server's service
proxy; 200 of those processes do not fit a 2-CPU machine, and the emulated proxy looks every pod up in
kmock per request. Here each container is the same simulator app inside the drill's process, and one
HTTP server stands for the Services: `/{namespace}/{service}/PATH` reaches PATH of the Service's running
pod (503 while there is none), which the operator's WAHA URL template points at (`WAHA_URL_TEMPLATE`).

Level-based like the demo's: a changed pod template (a roll) replaces the pod, a deleted Deployment
stops it. No API runs in this drill, so the containers get no webhook URL.

What it keeps for the drill's count: every container it ran per Deployment, so the WAHA session starts
of a session are the starts of all its containers (a pod roll is a new container whose boot starts the
session again).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from conectafy.demo import pods
from conectafy.demo.apiserver import DEPLOYMENTS, SECRETS
from conectafy.demo.kubeapi import DemoApiServer, live_objects
from conectafy.simulator import SimulatorConfig
from conectafy.simulator.app import create_app
from conectafy.simulator.core import SimulatedWaha
from conectafy.waha.status import DEFAULT_SESSION

MERGE = {"Content-Type": "application/merge-patch+json"}
TICK = 0.25
#: The operator's WAHA URL for a session when `services` below is served at BASE.
WAHA_URL_TEMPLATE = "{base}/{{namespace}}/{{service}}"


def simulator_config(env: dict[str, str]) -> SimulatorConfig:
    """What a WAHA container reads from the environment the operator gave it (CONTRACT.md §7)."""
    return SimulatorConfig(
        api_key=env["WAHA_API_KEY"],
        engine=env.get("WHATSAPP_DEFAULT_ENGINE", "GOWS"),
        start_session=env.get("WHATSAPP_START_SESSION") == DEFAULT_SESSION,
    )


@dataclass
class SimPod:
    name: str
    deployment: str
    template: str
    app: FastAPI
    lifespan: AsyncExitStack  # the container's life: WAHA boots on entry, stops on exit

    @property
    def sim(self) -> SimulatedWaha:
        sim: SimulatedWaha = self.app.state.sim
        return sim


@dataclass
class SimKubelet:
    """Runs one simulated WAHA per WAHA Deployment of one namespace."""

    server: DemoApiServer
    namespace: str
    running: dict[str, SimPod] = field(default_factory=dict)  # Deployment name → its pod
    #: Deployment name → every container it ran, stopped ones included (for counting starts).
    history: dict[str, list[SimulatedWaha]] = field(default_factory=lambda: defaultdict(list))

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=str(self.server.url), timeout=10) as http:
            try:
                while True:
                    await self.sync(http)
                    await asyncio.sleep(TICK)
            finally:  # the drill is over: stop the containers, leave the objects
                for pod in self.running.values():
                    await pod.lifespan.aclose()

    async def sync(self, http: httpx.AsyncClient) -> None:
        found = live_objects(self.server, DEPLOYMENTS)
        wanted = {name: obj for (ns, name), obj in found.items() if ns == self.namespace}
        wanted = {name: obj for name, obj in wanted.items() if pods.wanted_replicas(obj)}
        for name, pod in list(self.running.items()):
            deployment = wanted.get(name)
            if deployment is None or pods.template_hash(deployment) != pod.template:
                await self._stop(http, pod)
        for name, deployment in wanted.items():
            if name not in self.running:
                await self._start(http, deployment)

    def starts(self, deployment: str) -> int:
        """How many times WAHA's session was started in this Deployment's containers."""
        return sum(sim.session.starts for sim in self.history.get(deployment, []))

    def sims(self) -> dict[str, SimulatedWaha]:
        """The running simulator of each Deployment."""
        return {name: pod.sim for name, pod in self.running.items()}

    def _environment(self, deployment: dict[str, Any]) -> dict[str, str] | None:
        resolved = pods.resolve_env(deployment, live_objects(self.server, SECRETS))
        return resolved[0] if resolved else None  # None: its Secret is not there yet, next tick

    async def _start(self, http: httpx.AsyncClient, deployment: dict[str, Any]) -> None:
        env = self._environment(deployment)
        if env is None:
            return
        template, name = pods.template_hash(deployment), deployment["metadata"]["name"]
        app = create_app(simulator_config(env))
        lifespan = AsyncExitStack()
        await lifespan.enter_async_context(app.router.lifespan_context(app))
        pod = pods.build_pod(deployment, template)
        pod_name = pod["metadata"]["name"]
        self.running[name] = SimPod(pod_name, name, template, app, lifespan)
        self.history[name].append(app.state.sim)
        base = f"/api/v1/namespaces/{self.namespace}/pods"
        (await http.post(base, json=pod)).raise_for_status()
        status = {"status": pods.ready_status(pod)}
        (await http.patch(f"{base}/{pod_name}/status", json=status, headers=MERGE)).raise_for_status()
        await self._deployment_status(http, name, 1)

    async def _stop(self, http: httpx.AsyncClient, pod: SimPod) -> None:
        self.running.pop(pod.deployment, None)
        await pod.lifespan.aclose()
        with contextlib.suppress(httpx.HTTPError):  # gone meanwhile, or the API server is stopping
            (await http.delete(f"/api/v1/namespaces/{self.namespace}/pods/{pod.name}")).raise_for_status()
            await self._deployment_status(http, pod.deployment, 0)

    async def _deployment_status(self, http: httpx.AsyncClient, name: str, ready: int) -> None:
        deployment = live_objects(self.server, DEPLOYMENTS).get((self.namespace, name))
        if deployment is not None:
            path = f"/apis/apps/v1/namespaces/{self.namespace}/deployments/{name}/status"
            body = {"status": pods.deployment_status(deployment, ready)}
            (await http.patch(path, json=body, headers=MERGE)).raise_for_status()


def services(kubelet: SimKubelet) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The ASGI app standing for the namespace's Services: `/{namespace}/{service}/PATH` → PATH of the
    Service's running pod (the WAHA Service and Deployment of a session share their name)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        _, namespace, service, *rest = str(scope["path"]).split("/", 3)
        pod = kubelet.running.get(service) if namespace == kubelet.namespace else None
        if pod is None:
            reply = JSONResponse({"message": f'no endpoints available for service "{service}"'}, 503)
            await reply(scope, receive, send)
            return
        path = "/" + (rest[0] if rest else "")
        await pod.app({**scope, "path": path, "raw_path": path.encode()}, receive, send)

    return app


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
