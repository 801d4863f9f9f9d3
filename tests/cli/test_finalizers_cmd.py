"""`release-finalizers` against kmock: only our finalizer, of deleting sessions, with no operator alive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import kmock
import pytest

from conectafy.cli.finalizers_cmd import RELEASED, live_peers, release_patch, stuck_sessions
from tests.cli.conftest import NAMESPACE, SESSIONS, CliRun, make_api_key_secret, make_session

OURS = "kopf.conectafy.io/finalizer"
PEERINGS = "kopf.dev/v1/kopfpeerings"
DEPLOYMENTS = "apps/v1/deployments"
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
OPERATOR_LABELS = {"app.kubernetes.io/name": "conectafy", "app.kubernetes.io/component": "operator"}


def _deleting(name: str, finalizers: list[str], namespace: str = NAMESPACE) -> dict[str, Any]:
    session = make_session(name)
    deleted = "2026-12-03T14:00:00Z"
    session["metadata"].update(
        namespace=namespace, finalizers=finalizers, deletionTimestamp=deleted, resourceVersion="7"
    )
    return session


def _peering(lastseen: datetime, lifetime: int = 60) -> dict[str, Any]:
    peer = {"priority": 100, "lifetime": lifetime, "lastseen": lastseen.isoformat()}
    return {
        "apiVersion": "kopf.dev/v1",
        "kind": "KopfPeering",
        "metadata": {"name": "conectafy", "namespace": NAMESPACE},
        "status": {"operator-pod-a": peer},
    }


def _operator_deployment(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "conectafy-operator", "namespace": "conectafy", "labels": OPERATOR_LABELS},
        "spec": {"replicas": replicas},
    }


@pytest.fixture
def cluster(kube: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    """kmock with kopf's peering CRD installed (ClusterKopfPeerings are not: they answer 404)."""
    kube.resources[PEERINGS] = kmock.ResourceInfo(kind="KopfPeering", namespaced=True)
    return kube


def _finalizers(kube: kmock.KubernetesEmulator, name: str, namespace: str = NAMESPACE) -> list[str] | None:
    """The session's finalizers, or None once the API server has removed the session."""
    session = kube.objects[SESSIONS, namespace, name]
    return None if session.deleted else list(session.get("metadata", {}).get("finalizers") or [])


def test_stuck_sessions_are_the_deleting_ones_with_our_finalizer() -> None:
    live = make_session("live")
    live["metadata"]["finalizers"] = [OURS]
    sessions = [_deleting("b", [OURS]), live, _deleting("other", ["example.com/x"]), _deleting("a", [OURS])]
    assert [s["metadata"]["name"] for s in stuck_sessions(sessions)] == ["a", "b"]


def test_release_patch_keeps_other_finalizers_and_checks_the_version() -> None:
    session = _deleting("a", ["foregroundDeletion", OURS, "example.com/x"])
    assert release_patch(session) == {
        "metadata": {"finalizers": ["foregroundDeletion", "example.com/x"], "resourceVersion": "7"}
    }


@pytest.mark.parametrize(
    ("lastseen", "lifetime", "alive"),
    [
        (NOW - timedelta(seconds=10), 60, True),
        (NOW - timedelta(seconds=61), 60, False),
        (NOW - timedelta(minutes=5), 600, True),
    ],
)
def test_live_peers_follow_kopfs_keepalive(lastseen: datetime, lifetime: int, alive: bool) -> None:
    assert live_peers(_peering(lastseen, lifetime), NOW) == (["operator-pod-a"] if alive else [])


async def test_releases_only_our_finalizer_of_deleting_sessions(
    cluster: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    cluster.objects[SESSIONS, NAMESPACE, "sales"] = _deleting("sales", [OURS])
    cluster.objects[SESSIONS, NAMESPACE, "support"] = _deleting("support", ["foregroundDeletion", OURS])
    live = make_session("live")
    live["metadata"]["finalizers"] = [OURS]
    cluster.objects[SESSIONS, NAMESPACE, "live"] = live
    cluster.objects[DEPLOYMENTS, "conectafy", "conectafy-operator"] = _operator_deployment(0)
    result = await cli("release-finalizers")
    assert (result.exit_code, [line.split(None, 2) for line in result.output.splitlines()]) == (
        0,
        [["NAMESPACE", "NAME", "RESULT"], [NAMESPACE, "sales", RELEASED], [NAMESPACE, "support", RELEASED]],
    ), result.output
    assert (_finalizers(cluster, "sales"), _finalizers(cluster, "support"), _finalizers(cluster, "live")) == (
        None,
        ["foregroundDeletion"],
        [OURS],
    )


async def test_refuses_while_a_peer_is_alive(cluster: kmock.KubernetesEmulator, cli: CliRun) -> None:
    cluster.objects[SESSIONS, NAMESPACE, "sales"] = _deleting("sales", [OURS])
    cluster.objects[PEERINGS, NAMESPACE, "conectafy"] = _peering(datetime.now(UTC))
    result = await cli("release-finalizers")
    assert (result.exit_code, _finalizers(cluster, "sales")) == (1, [OURS])
    assert result.output.startswith(
        f"error: an operator looks active (KopfPeering {NAMESPACE}/conectafy has a live peer operator-pod-a)"
    ), result.output


async def test_refuses_while_the_operator_deployment_has_replicas(
    cluster: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    cluster.objects[SESSIONS, NAMESPACE, "sales"] = _deleting("sales", [OURS])
    cluster.objects[DEPLOYMENTS, "conectafy", "conectafy-operator"] = _operator_deployment(2)
    result = await cli("release-finalizers")
    named = "Deployment conectafy/conectafy-operator has 2 replica(s)" in result.output
    assert (result.exit_code, named, _finalizers(cluster, "sales")) == (1, True, [OURS]), result.output


async def test_force_releases_despite_an_operator(cluster: kmock.KubernetesEmulator, cli: CliRun) -> None:
    cluster.objects[SESSIONS, NAMESPACE, "sales"] = _deleting("sales", [OURS])
    cluster.objects[PEERINGS, NAMESPACE, "conectafy"] = _peering(datetime.now(UTC))
    result = await cli("release-finalizers", "--force")
    assert (result.exit_code, _finalizers(cluster, "sales")) == (0, None), result.output


async def test_a_dead_peer_does_not_block(cluster: kmock.KubernetesEmulator, cli: CliRun) -> None:
    cluster.objects[SESSIONS, NAMESPACE, "sales"] = _deleting("sales", [OURS])
    cluster.objects[PEERINGS, NAMESPACE, "conectafy"] = _peering(datetime.now(UTC) - timedelta(minutes=5))
    result = await cli("release-finalizers")
    assert (result.exit_code, _finalizers(cluster, "sales")) == (0, None), result.output


async def test_all_namespaces(cluster: kmock.KubernetesEmulator, cli: CliRun) -> None:
    cluster.objects[SESSIONS, "team-a", "sales"] = _deleting("sales", [OURS], namespace="team-a")
    cluster.objects[SESSIONS, "team-b", "sales"] = _deleting("sales", [OURS], namespace="team-b")
    result = await cli("release-finalizers", "--all-namespaces")
    released = (_finalizers(cluster, "sales", "team-a"), _finalizers(cluster, "sales", "team-b"))
    assert (result.exit_code, released) == (0, (None, None)), result.output


async def test_nothing_to_release(cluster: kmock.KubernetesEmulator, cli: CliRun) -> None:
    cluster.objects[SESSIONS, NAMESPACE, "live"] = make_session("live")
    result = await cli("release-finalizers")
    assert (result.exit_code, result.output) == (
        0,
        f"No WhatsAppSession in namespace {NAMESPACE} is being deleted and waiting for {OURS}.\n",
    )


async def test_the_released_sessions_secret_goes_so_the_workload_is_collected(
    cluster: kmock.KubernetesEmulator, cli: CliRun
) -> None:
    """The Secret co-owns WAHA's Deployment and Service; the operator would delete it after the logout."""
    cluster.objects[SESSIONS, NAMESPACE, "sales"] = _deleting("sales", [OURS])
    cluster.objects["v1/secrets", NAMESPACE, "waha-sales"] = make_api_key_secret("sales", "k")
    cluster.objects["v1/secrets", NAMESPACE, "waha-other"] = make_api_key_secret("other", "k")
    result = await cli("release-finalizers", "--force")
    row = result.output.splitlines()[1].split(None, 2)
    assert (result.exit_code, row) == (0, [NAMESPACE, "sales", f"{RELEASED}; Secret waha-sales deleted"]), (
        result.output
    )
    secrets = [cluster.objects["v1/secrets", NAMESPACE, f"waha-{name}"] for name in ("sales", "other")]
    assert [secret.deleted for secret in secrets] == [True, False]
