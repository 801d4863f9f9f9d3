"""The Helm chart, rendered and linted by the real Helm engine; every object validated against Kubernetes."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest
import yaml

from conectafy.crd import CRD_PATH
from tests.helm.cases import KUBE_VERSION, SUPABASE, VALUE_SETS
from tests.support.helm import CHART_DIR, ROOT, chart_crds, find, identities, render, render_manifests


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def value_set(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    name: str = request.param
    return name, render_manifests(VALUE_SETS[name])


def test_chart_lints_clean_with_every_value_set() -> None:
    reports = {
        name: helm.lint(
            CHART_DIR, values, strict=True, namespace="conectafy", kube_version=f"v{KUBE_VERSION}"
        )
        for name, values in VALUE_SETS.items()
    }
    icon = {"severity": 1, "path": "Chart.yaml", "error": "icon is recommended"}  # info only: no logo yet
    clean = {"total_charts_linted": 1, "messages": [icon], "errors": []}
    assert reports == dict.fromkeys(VALUE_SETS, clean)


def test_every_rendered_object_validates_strictly(value_set: tuple[str, list[dict[str, Any]]]) -> None:
    _, manifests = value_set
    peering_schemas = {
        crd["spec"]["names"]["kind"]: crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for crd in chart_crds()
    }
    for manifest in manifests:
        if manifest["kind"] in peering_schemas:  # kopf's own kinds: not in Kubernetes' schemas
            jsonschema.validate(manifest, peering_schemas[manifest["kind"]])
        else:
            kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)


def test_chart_crds_folder_holds_kopfs_peering_crds_only() -> None:
    crds = chart_crds()
    for crd in crds:
        kubernetes_validate.validate(crd, KUBE_VERSION, strict=True)
    assert [(crd["spec"]["names"]["kind"], crd["spec"]["scope"]) for crd in crds] == [
        ("KopfPeering", "Namespaced"),
        ("ClusterKopfPeering", "Cluster"),
    ]


def test_default_install_creates_the_whole_system() -> None:
    assert identities(render_manifests()) == [
        ("CustomResourceDefinition", "whatsappsessions.conectafy.io", None),
        ("Deployment", "conectafy-api", "conectafy"),
        ("Deployment", "conectafy-operator", "conectafy"),
        ("KopfPeering", "conectafy", "conectafy"),
        ("NetworkPolicy", "conectafy-postgresql", "conectafy"),
        ("NetworkPolicy", "conectafy-waha", "conectafy"),
        ("PodDisruptionBudget", "conectafy-api", "conectafy"),
        ("PodDisruptionBudget", "conectafy-operator", "conectafy"),
        ("Role", "conectafy-api", "conectafy"),
        ("Role", "conectafy-operator", "conectafy"),
        ("RoleBinding", "conectafy-api", "conectafy"),
        ("RoleBinding", "conectafy-operator", "conectafy"),
        ("Secret", "conectafy-api", "conectafy"),
        ("Secret", "conectafy-postgresql", "conectafy"),
        ("Secret", "conectafy-session-keys", "conectafy"),
        ("Service", "conectafy-api", "conectafy"),
        ("Service", "conectafy-postgresql", "conectafy"),
        ("ServiceAccount", "conectafy-api", "conectafy"),
        ("ServiceAccount", "conectafy-operator", "conectafy"),
        ("StatefulSet", "conectafy-postgresql", "conectafy"),
    ]


def test_crd_copy_is_identical_to_crds_dir() -> None:
    copy = CHART_DIR / "files" / "crd.yaml"
    fix = f"refresh the copy: cp {CRD_PATH} {copy.relative_to(ROOT)}"
    assert copy.read_text() == (ROOT / CRD_PATH).read_text(), fix


def test_crd_is_rendered_from_the_copy_and_kept_on_uninstall() -> None:
    crd = find(render_manifests(), "CustomResourceDefinition", "whatsappsessions.conectafy.io")
    original = yaml.safe_load((ROOT / CRD_PATH).read_text())
    expected_metadata = {
        **original["metadata"],
        "annotations": {"helm.sh/resource-policy": "keep"},
        "labels": {"app.kubernetes.io/part-of": "conectafy"},
    }
    assert crd == {**original, "metadata": expected_metadata}


def test_crds_switched_off_render_no_crd() -> None:
    kinds = {m["kind"] for m in render_manifests({"crds": {"install": False}})}
    assert "CustomResourceDefinition" not in kinds


def test_images_are_pinned() -> None:
    pods = [
        m["spec"]["template"]["spec"]
        for m in render_manifests()
        if m["kind"] in {"Deployment", "StatefulSet"}
    ]
    images = sorted({c["image"] for pod in pods for c in pod["containers"] + pod.get("initContainers", [])})
    assert images == ["docker.io/library/postgres:17.6-bookworm", "ghcr.io/conectafy/conectafy:0.1.0"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"operator": {"replicas": 0}}, "at '/operator/replicas': minimum: got 0, want 1"),
        ({"image": {"tag": "latest"}}, "at '/image/tag': 'latest' does not match pattern"),
        ({"operator": {"bogus": 1}}, "at '/operator': additional properties 'bogus' not allowed"),
        ({"api": {"service": {"type": "Public"}}}, "at '/api/service/type': value must be one of"),
        ({"operator": {"logFormat": "xml"}}, "at '/operator/logFormat': value must be one of"),
        ({"api": {"resourcesPreset": "huge"}}, "at '/api/resourcesPreset': value must be one of"),
        ({"externalDatabase": {"url": "mysql://db"}}, "at '/externalDatabase/url'"),
        (
            {"operator": {"namespaces": ["Tenant_A"]}},
            "at '/operator/namespaces/0': 'Tenant_A' does not match pattern",
        ),
    ],
)
def test_schema_rejects_bad_values_with_a_clear_message(values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmValuesError) as caught:
        render(values)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"supabase": SUPABASE, "externalDatabase": {"url": "postgresql://u@db/x"}},
            "set either supabase or externalDatabase, not both",
        ),
        (
            {"supabase": {"url": "https://abcd.supabase.co", "jwtSecret": "j"}},
            "supabase.url is set but supabase.databaseUrl is empty",
        ),
        (
            {"api": {"sessionsNamespace": "sales"}},
            'api.sessionsNamespace "sales" is not watched by the operator: add it to operator.namespaces',
        ),
        (
            {"s3": {"bucket": "media"}},
            "s3.bucket is set: give s3.accessKeyId and s3.secretAccessKey, or s3.existingSecret",
        ),
    ],
)
def test_contradictory_values_fail_with_what_to_change(values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmRenderError) as caught:
        render(values)
    assert message in str(caught.value)


def test_every_value_has_a_comment() -> None:
    lines = (CHART_DIR / "values.yaml").read_text().splitlines()
    leaf = re.compile(
        r"^\s*[A-Za-z][A-Za-z0-9]*: (?!\{)\S"
    )  # a key with a scalar/list value (not a flow map)
    uncommented = [
        line
        for previous, line in itertools.pairwise(lines)
        if leaf.match(line) and not previous.strip().startswith("#")
    ]
    assert uncommented == []


def test_notes_show_the_next_commands() -> None:
    notes = render()["conectafy/templates/NOTES.txt"]
    assert "kubectl -n conectafy port-forward service/conectafy-api 8000:8000" in notes
    assert "kubectl conectafy qr sales -n conectafy" in notes


def test_app_version_is_pinned_to_the_package_version() -> None:
    import tomllib

    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    project = tomllib.loads(Path(ROOT / "pyproject.toml").read_text())["project"]
    assert chart["appVersion"] == project["version"]
