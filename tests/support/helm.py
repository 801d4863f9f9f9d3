"""Render the Helm chart with the real Helm engine (helm-python-sdk, no helm binary)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "helm" / "conectafy"
RELEASE = "conectafy"

Manifest = dict[str, Any]


@contextmanager
def loaded_chart() -> Iterator[helm.Chart]:
    with helm.Chart.load(CHART_DIR) as chart:
        yield chart


def render(
    values: dict[str, Any] | None = None, *, namespace: str = "conectafy", release: str = RELEASE
) -> dict[str, str]:
    """Template path → rendered text, exactly what `helm template` prints (NOTES.txt included)."""
    with loaded_chart() as chart:
        return chart.render(values or {}, name=release, namespace=namespace, is_install=True)


def render_manifests(
    values: dict[str, Any] | None = None, *, namespace: str = "conectafy", release: str = RELEASE
) -> list[Manifest]:
    """Every object the chart would create (hooks included), in template order."""
    rendered = render(values, namespace=namespace, release=release)
    manifests: list[Manifest] = []
    for path in sorted(rendered):
        if path.endswith(".yaml"):
            manifests.extend(doc for doc in yaml.safe_load_all(rendered[path]) if doc)
    return manifests


def chart_crds() -> list[Manifest]:
    """The chart's crds/ objects: Helm installs them before the templates and never upgrades them."""
    with loaded_chart() as chart:
        return [doc for crd in chart.crds for doc in yaml.safe_load_all(crd["data"]) if doc]


def find(manifests: list[Manifest], kind: str, name: str, namespace: str | None = None) -> Manifest:
    """The one object of that kind and name (and namespace when given); KeyError otherwise."""
    for manifest in manifests:
        meta = manifest["metadata"]
        if manifest["kind"] == kind and meta["name"] == name and namespace in (None, meta.get("namespace")):
            return manifest
    raise KeyError(f"{kind}/{name} (namespace {namespace}) is not rendered")


def identities(manifests: list[Manifest]) -> list[tuple[str, str, str | None]]:
    """(kind, name, namespace) of every object, sorted: the shape of a release at a glance."""
    return sorted((m["kind"], m["metadata"]["name"], m["metadata"].get("namespace")) for m in manifests)


def container_env(deployment: Manifest, container: str = "") -> dict[str, Any]:
    """A container's env as name → value (or valueFrom), for whole-structure assertions."""
    containers = deployment["spec"]["template"]["spec"]["containers"]
    chosen = next(c for c in containers if not container or c["name"] == container)
    return {env["name"]: env.get("value", env.get("valueFrom")) for env in chosen.get("env", [])}
