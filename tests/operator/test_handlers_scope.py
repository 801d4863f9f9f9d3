"""The watch scope decides whether kopf scans cluster-scoped namespaces and CRDs (RBAC must allow it)."""

from __future__ import annotations

import kopf
import pytest

from conectafy.operator.handlers import configure_kopf, needs_cluster_scanning


@pytest.mark.parametrize(
    ("namespaces", "clusterwide", "expected"),
    [
        (["conectafy"], False, False),  # the chart's default: a Role in one namespace
        (["team-a", "team-b"], False, False),
        ([], True, True),  # the chart's ClusterRole allows CRD list/watch
        (["tenant-*"], False, True),  # a glob needs the namespace list
        (["!kube-system"], False, True),
        (["team-a,team-b"], False, True),
    ],
)
def test_cluster_scanning_only_where_it_resolves_something(
    namespaces: list[str], clusterwide: bool, expected: bool
) -> None:
    assert needs_cluster_scanning(namespaces, clusterwide=clusterwide) is expected


@pytest.mark.parametrize("scanning", [True, False])
def test_configure_kopf_sets_scanning(scanning: bool) -> None:
    settings = kopf.OperatorSettings()
    configure_kopf(settings, standalone=True, scanning=scanning)
    assert settings.scanning.disabled is not scanning
