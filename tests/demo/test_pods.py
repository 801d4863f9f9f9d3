"""What the demo kubelet writes, from the operator's real Deployment for a session."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from conectafy.demo.pods import (
    build_pod,
    container_env,
    orphans,
    resolve_env,
    template_hash,
    wanted_replicas,
)


def deployment(**spec: Any) -> dict[str, Any]:
    env = [
        {"name": "WHATSAPP_DEFAULT_ENGINE", "value": "GOWS"},
        {
            "name": "WAHA_API_KEY",
            "valueFrom": {"secretKeyRef": {"name": "waha-support", "key": "api-key-sha512"}},
        },
    ]
    template = {
        "metadata": {"labels": {"conectafy.io/session": "support"}},
        "spec": {"containers": [{"name": "waha", "image": "w", "env": env}]},
    }
    return {
        "metadata": {"name": "waha-support", "namespace": "conectafy", "uid": "d-uid"},
        "spec": {"replicas": 1, "template": template, **spec},
    }


def test_container_env_resolves_secret_references() -> None:
    assert container_env(deployment(), {"waha-support": {"api-key-sha512": "sha512:abc"}}) == {
        "WHATSAPP_DEFAULT_ENGINE": "GOWS",
        "WAHA_API_KEY": "sha512:abc",
    }


def test_container_env_waits_for_a_missing_secret() -> None:
    with pytest.raises(KeyError):
        container_env(deployment(), {})


def test_resolve_env_reads_the_live_secrets_of_the_deployments_namespace() -> None:
    encoded = base64.b64encode(b"sha512:abc").decode()
    secret = {"metadata": {"name": "waha-support"}, "data": {"api-key-sha512": encoded}}
    found = resolve_env(deployment(), {("conectafy", "waha-support"): secret, ("other", "waha-support"): {}})
    assert found == (
        {"WHATSAPP_DEFAULT_ENGINE": "GOWS", "WAHA_API_KEY": "sha512:abc"},
        {"waha-support": {"api-key-sha512": "sha512:abc"}},
    )


def test_resolve_env_waits_while_the_secret_is_missing() -> None:
    assert resolve_env(deployment(), {("other", "waha-support"): {}}) is None


@pytest.mark.parametrize(
    ("spec", "meta", "wanted"), [({}, {}, 1), ({"replicas": 0}, {}, 0), ({}, {"deletionTimestamp": "now"}, 0)]
)
def test_wanted_replicas(spec: dict[str, Any], meta: dict[str, Any], wanted: int) -> None:
    body = deployment(**spec)
    body["metadata"].update(meta)
    assert wanted_replicas(body) == wanted


def test_a_changed_template_changes_the_hash() -> None:
    restarted = deployment()
    restarted["spec"]["template"]["metadata"]["annotations"] = {
        "conectafy.io/restartedAt": "2026-12-03T10:00:00Z"
    }
    assert template_hash(restarted) != template_hash(deployment()) == template_hash(deployment())


def test_the_pod_carries_the_template_labels_and_its_owner() -> None:
    pod = build_pod(deployment(), "abc123")
    assert (
        pod["metadata"]["labels"],
        pod["metadata"]["ownerReferences"][0]["uid"],
        pod["spec"]["nodeName"],
        pod["metadata"]["name"].startswith("waha-support-abc123-"),
    ) == ({"conectafy.io/session": "support", "pod-template-hash": "abc123"}, "d-uid", "demo-node", True)


def test_orphans_are_objects_whose_every_owner_is_gone() -> None:
    owned = {"metadata": {"uid": "x", "ownerReferences": [{"uid": "gone"}]}}
    kept = {"metadata": {"uid": "y", "ownerReferences": [{"uid": "s-uid"}]}}
    session = {"metadata": {"uid": "s-uid"}}
    free = {"metadata": {"uid": "z"}, "data": {"k": base64.b64encode(b"v").decode()}}
    objects = {
        ("r", "ns", "owned"): owned,
        ("r", "ns", "kept"): kept,
        ("s", "ns", "s"): session,
        ("r", "ns", "free"): free,
    }
    assert orphans(objects) == [("r", "ns", "owned")]
