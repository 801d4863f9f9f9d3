"""`release-finalizers`: let WhatsAppSessions finish deleting when their operator is gone for good.

Every session carries the operator's finalizer so that WAHA logs the phone out before the login data
goes. Without an operator nothing removes it: the session, and a namespace being deleted around it,
stay Terminating forever. This command removes *only that finalizer* (others' finalizers and the API
server's `foregroundDeletion` stay), only from sessions already being deleted, and only when no
operator looks alive — a running one would log out and release them itself. `--force` skips that
check; no logout happens either way, which the output says. Like the operator after its logout, it
then deletes the session's Secret, which co-owns the WAHA Deployment and Service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from conectafy import labels
from conectafy.cli.options import ContextOpt, NamespaceOpt, run
from conectafy.cli.sessions_cmd import format_table
from conectafy.kube import Conflict, KubeClient, KubeError, NotFound, workloads
from conectafy.operator.identity import child_names
from conectafy.session import API_VERSION, PLURAL

PEERING_VERSION = "kopf.dev/v1"
#: Labels of the chart's operator Deployment (helm/conectafy/templates/_helpers.tpl).
OPERATOR_LABELS = {labels.APP_NAME: "conectafy", labels.APP_COMPONENT: "operator"}
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
COLUMNS = ("NAMESPACE", "NAME", "RESULT")
RELEASED = "released (no WAHA logout)"


@dataclass(frozen=True)
class Scope:
    """Where to look: one namespace, or every namespace."""

    client: KubeClient
    namespace: str | None  # None: all namespaces


def stuck_sessions(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sessions being deleted that still wait for the operator's finalizer, sorted by namespace/name."""
    stuck = [
        s
        for s in sessions
        if s["metadata"].get("deletionTimestamp")
        and labels.FINALIZER in (s["metadata"].get("finalizers") or [])
    ]
    return sorted(stuck, key=lambda s: (s["metadata"].get("namespace", ""), s["metadata"]["name"]))


def release_patch(session: dict[str, Any]) -> dict[str, Any]:
    """A merge patch without our finalizer; resourceVersion makes it fail (409) if anything changed."""
    meta = session["metadata"]
    kept = [f for f in meta.get("finalizers") or [] if f != labels.FINALIZER]
    return {"metadata": {"finalizers": kept or None, "resourceVersion": meta.get("resourceVersion")}}


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def live_peers(peering: dict[str, Any], now: datetime) -> list[str]:
    """kopf peers of a (Cluster)KopfPeering whose keep-alive has not expired (kopf's own rule)."""
    alive = []
    for identity, peer in (peering.get("status") or {}).items():
        if not isinstance(peer, dict) or not peer.get("lastseen"):
            continue
        deadline = _parse_time(str(peer["lastseen"])) + timedelta(seconds=int(peer.get("lifetime") or 60))
        if deadline > now:
            alive.append(str(identity))
    return alive


def _where(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return f"{obj.get('kind')} {'/'.join(filter(None, [meta.get('namespace'), meta['name']]))}"


def active_operators(
    peerings: list[dict[str, Any]], deployments: list[dict[str, Any]], now: datetime
) -> list[str]:
    """What suggests a running operator: a live peer, or the chart's operator Deployment not scaled to 0."""
    found = []
    for peering in peerings:
        found += [f"{_where(peering)} has a live peer {peer}" for peer in live_peers(peering, now)]
    for deployment in deployments:
        replicas = (deployment.get("spec") or {}).get("replicas", 1)
        if replicas:
            found.append(f"{_where({'kind': 'Deployment', **deployment})} has {replicas} replica(s)")
    return found


async def _get(client: KubeClient, version: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    """(status, body): the callers decide per status what a refusal means."""
    try:
        return 200, await client.request("GET", version, url, **kwargs)
    except KubeError as error:
        return error.status or 0, str(error)


def _refused(what: str, status: int, body: Any) -> KubeError:
    hint = " (pass --force to skip the check for a running operator)" if status == 403 else ""
    return KubeError(f"cannot list {what}: the Kubernetes API answered {status}: {body}{hint}")


async def list_sessions(scope: Scope) -> list[dict[str, Any]]:
    status, body = await _get(scope.client, API_VERSION, PLURAL, namespace=scope.namespace)
    if status != 200:
        raise KubeError(f"cannot list WhatsAppSessions: the Kubernetes API answered {status}: {body}")
    return list(body.get("items") or [])


async def list_peerings(client: KubeClient, namespaces: list[str]) -> list[dict[str, Any]]:
    """kopf's ClusterKopfPeerings and the KopfPeerings of `namespaces`; none where kopf's CRDs are absent."""
    found: list[dict[str, Any]] = []
    places: list[tuple[str, str | None]] = [("clusterkopfpeerings", None)]
    for plural, namespace in places + [("kopfpeerings", ns) for ns in namespaces]:
        status, body = await _get(client, PEERING_VERSION, plural, namespace=namespace)
        if status == 404:
            continue
        if status != 200:
            raise _refused(f"kopf.dev {plural}", status, body)
        kind = "ClusterKopfPeering" if namespace is None else "KopfPeering"
        found += [{"kind": kind, **item} for item in body.get("items") or []]
    return found


async def list_operator_deployments(client: KubeClient) -> list[dict[str, Any]]:
    """The chart's operator Deployments in every namespace (the operator may run outside the sessions')."""
    selector = ",".join(f"{key}={value}" for key, value in OPERATOR_LABELS.items())
    status, body = await _get(client, "apps/v1", "deployments", params={"labelSelector": selector})
    if status != 200:
        raise _refused("Deployments in all namespaces", status, body)
    return [item for item in body.get("items") or [] if workloads.has_labels(item, OPERATOR_LABELS)]


async def release(client: KubeClient, session: dict[str, Any]) -> str:
    """Remove our finalizer from one session; what happened, for the RESULT column."""
    meta = session["metadata"]
    try:
        await client.request(
            "PATCH",
            API_VERSION,
            f"{PLURAL}/{meta['name']}",
            namespace=meta["namespace"],
            headers=MERGE_PATCH,
            content=json.dumps(release_patch(session)),
        )
    except NotFound:
        return "already gone"
    except Conflict:
        return "changed meanwhile, not released: run the command again"
    except KubeError as error:
        raise KubeError(f"cannot release {meta['namespace']}/{meta['name']}: {error}") from error
    return RELEASED + await delete_guard_secret(client, session)


async def delete_guard_secret(client: KubeClient, session: dict[str, Any]) -> str:
    """Delete the session's Secret, as the operator does after the logout: it co-owns the WAHA Deployment
    and Service, which the garbage collector then takes. Only a Secret labelled for this session."""
    meta = session["metadata"]
    name = child_names(meta["name"]).secret
    status, body = await _get(client, "v1", f"secrets/{name}", namespace=meta["namespace"])
    if status == 404 or (status == 200 and not workloads.has_labels(body, {labels.SESSION: meta["name"]})):
        return ""
    if status != 200:
        raise KubeError(f"cannot read Secret {meta['namespace']}/{name}: {status}: {body}")
    try:
        await client.request("DELETE", "v1", f"secrets/{name}", namespace=meta["namespace"])
    except NotFound:
        pass
    except KubeError as error:
        raise KubeError(f"cannot delete Secret {meta['namespace']}/{name}: {error}") from error
    return f"; Secret {name} deleted"


async def _release_all(namespace: str | None, all_namespaces: bool, force: bool, context: str | None) -> str:
    kube = await workloads.connect(namespace, context)
    try:
        return await _release_in(Scope(kube.client, None if all_namespaces else kube.namespace), force)
    finally:
        await kube.client.aclose()


async def _release_in(scope: Scope, force: bool) -> str:
    stuck = stuck_sessions(await list_sessions(scope))
    if not stuck:
        where = "in any namespace" if scope.namespace is None else f"in namespace {scope.namespace}"
        return f"No WhatsAppSession {where} is being deleted and waiting for {labels.FINALIZER}."
    if not force:
        namespaces = sorted({s["metadata"]["namespace"] for s in stuck})
        peerings = await list_peerings(scope.client, namespaces)
        active = active_operators(peerings, await list_operator_deployments(scope.client), datetime.now(UTC))
        if active:
            raise KubeError(
                f"an operator looks active ({'; '.join(active)}): it logs the sessions out and releases "
                "them itself. Uninstall or scale it to zero first, or pass --force"
            )
    rows: list[tuple[str, ...]] = []
    for session in stuck:
        meta = session["metadata"]
        rows.append((str(meta["namespace"]), str(meta["name"]), await release(scope.client, session)))
    return format_table(rows, COLUMNS)


def register(app: typer.Typer) -> None:
    @app.command("release-finalizers")
    def release_finalizers_command(
        namespace: NamespaceOpt = None,
        all_namespaces: Annotated[
            bool, typer.Option("--all-namespaces", "-A", help="Sessions of every namespace.")
        ] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Release even if an operator looks active.")
        ] = False,
        context: ContextOpt = None,
    ) -> None:
        """Let deleted sessions go when their operator is gone (removes only its finalizer; no logout)."""
        if namespace and all_namespaces:
            raise typer.BadParameter("give --namespace or --all-namespaces, not both")
        typer.echo(run(_release_all(namespace, all_namespaces, force, context)))
