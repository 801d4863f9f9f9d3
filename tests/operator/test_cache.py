"""The caches' pure parts: what an index keeps of a child, and when the ledger allows skipping a write."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from conectafy.kube.client import DEPLOYMENTS, SERVICES
from conectafy.operator.cache import ChildState, Ledger, child_state, is_available

NAMESPACE = "tenant-a"


def service(port: int = 3000, version: str = "7") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "waha-bob", "namespace": NAMESPACE, "resourceVersion": version},
        "spec": {"ports": [{"name": "http", "port": port}]},
    }


def test_a_secret_is_kept_decoded() -> None:
    body = {
        "kind": "Secret",
        "metadata": {"name": "waha-bob", "resourceVersion": "3"},
        "data": {"api-key": base64.b64encode(b"k").decode()},
    }
    assert child_state(body) == ChildState("waha-bob", "3", secret_data={"api-key": "k"})


@pytest.mark.parametrize(
    ("replicas", "available", "expected"), [(1, 1, True), (1, 0, False), (0, 1, False), (1, None, False)]
)
def test_a_deployment_is_available_with_one_available_replica_wanted(
    replicas: int, available: int | None, expected: bool
) -> None:
    body = {"kind": "Deployment", "spec": {"replicas": replicas}, "status": {"availableReplicas": available}}
    assert is_available(body) is expected


def test_the_last_write_unchanged_needs_no_new_write() -> None:
    ledger = Ledger()
    ledger.record(SERVICES, service(), service(version="8"))
    assert ledger.is_current(SERVICES, service(), ChildState("waha-bob", "8")) is True


@pytest.mark.parametrize(
    ("desired", "cached"),
    [
        (service(port=3001), ChildState("waha-bob", "8")),  # the intent changed
        (service(), ChildState("waha-bob", "9")),  # someone else wrote after us
        (service(), None),  # gone from the cache (deleted)
    ],
    ids=["intent-changed", "written-by-another", "deleted"],
)
def test_a_changed_intent_or_child_needs_a_write(desired: dict[str, Any], cached: ChildState | None) -> None:
    ledger = Ledger()
    ledger.record(SERVICES, service(), service(version="8"))
    assert ledger.is_current(SERVICES, desired, cached) is False


@pytest.mark.parametrize(
    ("version", "deleted", "heal"), [("8", False, False), ("9", False, True), ("8", True, True)]
)
def test_only_changes_by_others_are_healed(version: str, deleted: bool, heal: bool) -> None:
    ledger = Ledger()
    ledger.record(SERVICES, service(), service(version="8"))
    assert ledger.needs_heal(SERVICES, service(version=version), deleted=deleted) is heal


def test_children_never_applied_by_this_process_are_left_to_resume() -> None:
    assert Ledger().needs_heal(DEPLOYMENTS, service(), deleted=True) is False


def test_forgetting_a_session_forgets_its_children() -> None:
    ledger = Ledger()
    ledger.record(SERVICES, service(), service(version="8"))
    ledger.forget(NAMESPACE, "waha-bob")
    assert ledger.needs_heal(SERVICES, service(version="9"), deleted=False) is False


def test_a_cache_lagging_behind_our_own_writes_is_not_drift() -> None:
    ledger = Ledger()
    ledger.record(SERVICES, service(), service(version="8"))
    ledger.record(SERVICES, service(), service(version="9"))
    assert (
        ledger.is_current(SERVICES, service(), ChildState("waha-bob", "8")),
        ledger.needs_heal(SERVICES, service(version="8"), deleted=False),
    ) == (True, False)


def test_the_last_write_tells_a_waiting_heal_that_another_path_wrote_the_child() -> None:
    ledger = Ledger()
    ledger.record(SERVICES, service(), service(version="8"))
    edited_by_hand = service(version="9")
    seen = ledger.last_write(SERVICES, edited_by_hand)
    ledger.record(SERVICES, service(), service(version="10"))  # the timer healed it meanwhile
    assert (seen, ledger.last_write(SERVICES, edited_by_hand)) == ("8", "10")


def deployment(version: str, generation: int = 1, **labels: str) -> dict[str, Any]:
    meta = {"name": "waha-bob", "namespace": NAMESPACE, "resourceVersion": version, "generation": generation}
    return {"kind": "Deployment", "metadata": {**meta, "labels": labels}, "spec": {"replicas": 1}}


def test_a_controller_status_update_is_not_healed_and_needs_no_write() -> None:
    """The rollout moves a Deployment's status several times: neither the event nor the timer applies."""
    ledger = Ledger()
    ledger.record(DEPLOYMENTS, deployment("8"), deployment("8"))
    status_only = deployment("9")
    assert (
        ledger.needs_heal(DEPLOYMENTS, status_only, deleted=False),
        ledger.is_current(DEPLOYMENTS, deployment("8"), ChildState("waha-bob", "9")),
    ) == (False, True)


@pytest.mark.parametrize(
    "edited", [deployment("9", generation=2), deployment("9", app="mine")], ids=["spec", "labels"]
)
def test_a_deployment_edited_by_hand_is_healed(edited: dict[str, Any]) -> None:
    ledger = Ledger()
    ledger.record(DEPLOYMENTS, deployment("8"), deployment("8"))
    assert ledger.needs_heal(DEPLOYMENTS, edited, deleted=False) is True


def test_a_hand_edit_our_heal_overwrote_is_not_applied_again_from_a_lagging_cache() -> None:
    """The heal applied over version 9; the timer, which waited for the lock, still sees 9 cached."""
    ledger = Ledger()
    ledger.record(SERVICES, service(), service(version="8"))
    edited_by_hand = ChildState("waha-bob", "9")
    ledger.record(SERVICES, service(), service(version="10"), replaced=edited_by_hand)
    assert (
        ledger.is_current(SERVICES, service(), edited_by_hand),
        ledger.needs_heal(SERVICES, service(version="9"), deleted=False),
        ledger.last_write(SERVICES, service(version="9")),
        ledger.needs_heal(SERVICES, service(version="11"), deleted=False),
    ) == (True, False, "10", True)
