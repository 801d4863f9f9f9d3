"""The demo kubelet: for each WAHA Deployment the operator made, run its container — the WAHA simulator,
`conectafy waha-sim`, with the Deployment's own environment — as a process, and report it the way a
kubelet and the Deployment controller do (a Running, Ready pod; an available Deployment).

Level-based: every tick compares the Deployments with the running pods. A changed pod template (the
`restartedAt` annotation) replaces the pod; zero replicas (a paused session) or a deleted Deployment
stops it; a process that exits is replaced on the next tick. The session's login survives a restart
as it does in WAHA's volume: a pod stopped while WORKING leaves its claim "paired", and the next pod of
that claim starts logged in. Writes go through the API server's HTTP API, so watchers see them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from conectafy.demo import pods
from conectafy.demo.apiserver import DEPLOYMENTS, PVCS, SECRETS, SERVICES, SESSIONS
from conectafy.demo.kubeapi import DemoApiServer, PodRuntime, live_objects
from conectafy.demo.processes import Child, conectafy_command, start_child, stop_child
from conectafy.logs import get_logger
from conectafy.operator.manifests import API_KEY

log = get_logger(__name__)
MERGE = {"Content-Type": "application/merge-patch+json"}
#: Resources whose objects the operator owns (ownerReferences), and the pods a Deployment owns.
OWNED = (DEPLOYMENTS, SERVICES, SECRETS, PVCS, "v1/pods")
TICK = 0.25  # seconds between syncs
READY_WITHIN = 30.0  # seconds a new container gets to answer /ping


@dataclass
class RunningPod:
    name: str
    namespace: str
    deployment: str
    template: str
    claim: str | None
    child: Child
    url: str
    api_key: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def api_path(resource: str, namespace: str) -> str:
    """ "apps/v1/deployments", "ns" → /apis/apps/v1/namespaces/ns/deployments ("v1/…" → /api/v1/…)."""
    group_version, plural = resource.rsplit("/", 1)
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    return f"{prefix}/namespaces/{namespace}/{plural}"


def _claim(deployment: dict[str, Any]) -> str | None:
    for volume in deployment["spec"]["template"]["spec"].get("volumes") or []:
        if "persistentVolumeClaim" in volume:
            return str(volume["persistentVolumeClaim"]["claimName"])
    return None


class DemoKubelet:
    """Runs the WAHA pods of every namespace on this machine."""

    def __init__(self, server: DemoApiServer, logs_dir: Path) -> None:
        self.server = server
        self.logs_dir = logs_dir
        self.running: dict[tuple[str, str], RunningPod] = {}  # (namespace, deployment) → its pod
        #: (namespace, claim) → the phone number logged in when its last pod stopped.
        self.paired: dict[tuple[str, str], str] = {}
        self._http = httpx.AsyncClient(base_url=str(server.url), timeout=10)

    async def run(self) -> None:
        """Sync until cancelled; a failed tick is logged and retried."""
        while True:
            try:
                await self.sync()
            except Exception as error:  # a kubelet keeps going; the next tick retries
                log.warning("demo kubelet sync failed", error=repr(error), exc_info=True)
            await asyncio.sleep(TICK)

    async def sync(self) -> None:
        deployments = {
            key: obj for key, obj in self._objects(DEPLOYMENTS).items() if pods.wanted_replicas(obj)
        }
        for key, pod in list(self.running.items()):
            wanted = deployments.get(key)
            if wanted is None or pods.template_hash(wanted) != pod.template or not pod.child.running:
                await self.stop_pod(pod)
        for key, deployment in deployments.items():
            if key not in self.running:
                await self.start_pod(deployment)
        self._forget_deleted_claims()
        await self.collect_garbage()

    async def collect_garbage(self) -> None:
        """Delete the children of deleted sessions (on a cluster, the garbage collector does)."""
        objects = {
            (resource, namespace, name): obj
            for resource in (SESSIONS, *OWNED)
            for (namespace, name), obj in self._objects(resource).items()
        }
        for resource, namespace, name in pods.orphans(objects):
            with contextlib.suppress(httpx.HTTPStatusError):  # gone meanwhile
                await self._delete(f"{api_path(resource, namespace)}/{name}")
            log.info("demo garbage collector deleted", resource=resource, name=name)

    def _objects(self, resource: str) -> dict[tuple[str, str], dict[str, Any]]:
        return live_objects(self.server, resource)

    def _environment(self, deployment: dict[str, Any]) -> tuple[dict[str, str], str] | None:
        """The container's environment and the session's API key; None while its Secret is missing.

        WAHA's environment holds the key's hash; asking WAHA whether it is logged in takes the key."""
        resolved = pods.resolve_env(deployment, self._objects(SECRETS))
        if resolved is None:
            return None
        env, secrets = resolved
        return env, next((data[API_KEY] for data in secrets.values() if API_KEY in data), "")

    async def start_pod(self, deployment: dict[str, Any]) -> None:
        meta, environment = deployment["metadata"], self._environment(deployment)
        if environment is None:
            return  # its Secret is not there yet: try again next tick
        template, claim, port = pods.template_hash(deployment), _claim(deployment), _free_port()
        pod = pods.build_pod(deployment, template)
        name, namespace = pod["metadata"]["name"], meta["namespace"]
        args = ["waha-sim", "--host", "127.0.0.1", "--port", str(port)]
        phone = self.paired.pop((namespace, claim), None) if claim else None
        if phone:
            args += ["--paired", "--phone-number", phone]
        log_file = self.logs_dir / f"{name}.log"
        child = await start_child(name, conectafy_command(*args), environment[0], log_file)
        url = f"http://127.0.0.1:{port}"
        running = RunningPod(name, namespace, meta["name"], template, claim, child, url, environment[1])
        self.running[(namespace, meta["name"])] = running
        await self._create(f"/api/v1/namespaces/{namespace}/pods", pod)
        if await self._answers(running):
            self.server.pods[(namespace, name)] = PodRuntime(url, child.log)  # Ready: the Service routes here
            status_path = f"/api/v1/namespaces/{namespace}/pods/{name}/status"
            await self._patch(status_path, {"status": pods.ready_status(pod)})
            await self._deployment_status(namespace, meta["name"], 1)
        log.info("demo pod started", pod=name, pid=child.pid, url=url, paired=bool(phone))

    async def _answers(self, pod: RunningPod) -> bool:
        """Wait for the container's readiness (WAHA's /ping) while its process lives."""
        deadline = asyncio.get_running_loop().time() + READY_WITHIN
        async with httpx.AsyncClient(base_url=pod.url, timeout=2) as http:
            while pod.child.running and asyncio.get_running_loop().time() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/ping")).status_code == 200:
                        return True
                await asyncio.sleep(0.1)
        return False

    async def stop_pod(self, pod: RunningPod) -> None:
        """Remember the login (the claim is the volume), stop the process, delete the pod."""
        if pod.claim and pod.child.running:
            phone = await self._logged_in_as(pod)
            if phone:
                self.paired[(pod.namespace, pod.claim)] = phone
        self.running.pop((pod.namespace, pod.deployment), None)
        self.server.pods.pop((pod.namespace, pod.name), None)
        code = await stop_child(pod.child)
        with contextlib.suppress(httpx.HTTPStatusError):
            await self._delete(f"/api/v1/namespaces/{pod.namespace}/pods/{pod.name}")
        with contextlib.suppress(httpx.HTTPStatusError):  # the Deployment may be gone already
            await self._deployment_status(pod.namespace, pod.deployment, 0)
        log.info("demo pod stopped", pod=pod.name, exit_code=code)

    async def _logged_in_as(self, pod: RunningPod) -> str | None:
        """The number WAHA is logged in as (WORKING), else None."""
        try:
            async with httpx.AsyncClient(
                base_url=pod.url, headers={"X-Api-Key": pod.api_key}, timeout=2
            ) as http:
                session = (await http.get("/api/sessions/default")).json()
        except (httpx.HTTPError, ValueError):
            return None
        me = session.get("me") if isinstance(session, dict) and session.get("status") == "WORKING" else None
        return str(me["id"]).split("@", 1)[0] if isinstance(me, dict) and me.get("id") else None

    def _forget_deleted_claims(self) -> None:
        claims = set(self._objects(PVCS))
        for key in [key for key in self.paired if key not in claims]:
            del self.paired[key]

    async def stop_all(self) -> None:
        for pod in list(self.running.values()):
            await self.stop_pod(pod)
        await self._http.aclose()

    async def _deployment_status(self, namespace: str, name: str, ready: int) -> None:
        deployment = self._objects(DEPLOYMENTS).get((namespace, name))
        if deployment is not None:
            path = f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"
            await self._patch(path, {"status": pods.deployment_status(deployment, ready)})

    async def _create(self, path: str, body: dict[str, Any]) -> None:
        (await self._http.post(path, json=body)).raise_for_status()

    async def _patch(self, path: str, body: dict[str, Any]) -> None:
        (await self._http.patch(path, json=body, headers=MERGE)).raise_for_status()

    async def _delete(self, path: str) -> None:
        (await self._http.delete(path)).raise_for_status()
