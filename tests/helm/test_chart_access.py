"""Who may do what: the chart's RBAC, NetworkPolicies and PodDisruptionBudgets, asserted whole."""

from __future__ import annotations

import pytest

from conectafy.operator.identity import APP_NAME as WAHA_APP_NAME
from conectafy.operator.identity import PART_OF as WAHA_PART_OF
from tests.helm.cases import LABELS, VALUE_SETS
from tests.support.helm import find, identities, render_manifests

CHILD_VERBS = ["get", "list", "watch", "create", "patch", "delete"]  # watched into caches, applied, deleted
OPERATOR_RULES = [
    {
        "apiGroups": ["conectafy.io"],
        "resources": ["whatsappsessions"],
        "verbs": ["get", "list", "watch", "patch"],
    },
    {"apiGroups": ["conectafy.io"], "resources": ["whatsappsessions/status"], "verbs": ["get", "patch"]},
    {"apiGroups": ["conectafy.io"], "resources": ["whatsappsessions/finalizers"], "verbs": ["update"]},
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": CHILD_VERBS},
    {"apiGroups": [""], "resources": ["services", "persistentvolumeclaims", "secrets"], "verbs": CHILD_VERBS},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
]
#: Sessions only: no Secret of any kind (the sessions' keys are derived from the mounted master key).
API_RULES = [
    {
        "apiGroups": ["conectafy.io"],
        "resources": ["whatsappsessions"],
        "verbs": ["get", "list", "watch", "create", "patch", "delete"],
    },
]


def test_operator_role_is_least_privilege_in_the_watched_namespace() -> None:
    role = find(render_manifests(), "Role", "conectafy-operator", "conectafy")
    assert role["rules"] == [
        *OPERATOR_RULES,
        {
            "apiGroups": ["kopf.dev"],
            "resources": ["kopfpeerings"],
            "verbs": ["get", "list", "watch", "patch"],
        },
    ]


def test_operator_gets_one_role_per_listed_namespace_and_no_cluster_role() -> None:
    manifests = render_manifests(VALUE_SETS["namespaces"])
    rbac = [
        i
        for i in identities(manifests)
        if i[0] in {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    ]
    assert rbac == [
        ("Role", "conectafy-api", "tenant-a"),
        ("Role", "conectafy-operator", "tenant-a"),
        ("Role", "conectafy-operator", "tenant-b"),
        ("RoleBinding", "conectafy-api", "tenant-a"),
        ("RoleBinding", "conectafy-operator", "tenant-a"),
        ("RoleBinding", "conectafy-operator", "tenant-b"),
    ]
    binding = find(manifests, "RoleBinding", "conectafy-operator", "tenant-b")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "conectafy-operator", "namespace": "conectafy"}
    ]


def test_operator_cluster_role_only_when_watching_all_namespaces() -> None:
    manifests = render_manifests(VALUE_SETS["all-namespaces"])
    assert find(manifests, "ClusterRole", "conectafy-operator")["rules"] == [
        *OPERATOR_RULES,
        {
            "apiGroups": ["kopf.dev"],
            "resources": ["clusterkopfpeerings"],
            "verbs": ["get", "list", "watch", "patch"],
        },
        {
            "apiGroups": ["apiextensions.k8s.io"],
            "resources": ["customresourcedefinitions"],
            "verbs": ["list", "watch"],
        },
    ]
    assert [i for i in identities(manifests) if i[0] == "Role"] == [("Role", "conectafy-api", "conectafy")]
    assert [i for i in identities(manifests) if i[0].endswith("KopfPeering")] == [
        ("ClusterKopfPeering", "conectafy", None)
    ]


def test_api_role_is_least_privilege() -> None:
    assert find(render_manifests(), "Role", "conectafy-api", "conectafy")["rules"] == API_RULES


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_no_rule_bound_to_the_api_reaches_a_secret(name: str) -> None:
    """Whatever the values: no Role or ClusterRole bound to the API's ServiceAccount names Secrets (or
    a wildcard), so the database, JWT and S3 Secrets are out of its reach."""
    manifests = render_manifests(VALUE_SETS[name])
    bound = {
        binding["roleRef"]["name"]
        for binding in manifests
        if binding["kind"] in ("RoleBinding", "ClusterRoleBinding")
        and any(subject["name"] == "conectafy-api" for subject in binding["subjects"])
    }
    rules = [
        rule
        for role in manifests
        if role["kind"] in ("Role", "ClusterRole") and role["metadata"]["name"] in bound
        for rule in role["rules"]
    ]
    assert bound and [r for r in rules if {"secrets", "*"} & set(r["resources"])] == []


def test_waha_network_policy_admits_only_operator_and_api() -> None:
    policy = find(render_manifests(), "NetworkPolicy", "conectafy-waha")
    peers = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "conectafy"}},
            "podSelector": {"matchLabels": {**LABELS, "app.kubernetes.io/component": component}},
        }
        for component in ("operator", "api")
    ]
    assert policy["spec"] == {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": WAHA_APP_NAME,
                "app.kubernetes.io/part-of": WAHA_PART_OF,
            }
        },
        "policyTypes": ["Ingress"],
        "ingress": [{"from": peers}],
    }


def test_pod_disruption_budgets_keep_one_operator_and_one_api() -> None:
    manifests = render_manifests()
    budgets = {m["metadata"]["name"]: m["spec"] for m in manifests if m["kind"] == "PodDisruptionBudget"}
    assert budgets == {
        f"conectafy-{c}": {
            "minAvailable": 1,
            "selector": {"matchLabels": {**LABELS, "app.kubernetes.io/component": c}},
        }
        for c in ("operator", "api")
    }
