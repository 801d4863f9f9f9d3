"""Monitoring in the chart: off by default; on, every object validates, every alert and dashboard query
parses (promql-parser, Prometheus' own grammar in Rust) and names only metrics that a running operator
and API export, or the kubelet's documented ones; every alert's runbook is a section of
docs/operations.md that says how to confirm it with `kubectl conectafy`."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import helm_python as helm
import httpx
import jsonschema
import kubernetes_validate
import promql_parser
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from conectafy.api.main import create_app
from conectafy.operator.metrics_server import PeerCheck, metrics_app
from conectafy.settings import ApiSettings
from tests.helm.cases import KUBE_VERSION
from tests.helm.monitoring_schemas import SCHEMAS
from tests.support.helm import CHART_DIR, ROOT, container_env, find, identities, render_manifests

ON = {
    "monitoring": {
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "podMonitor": {"enabled": True},
        "prometheusRule": {"enabled": True},
        "grafanaDashboard": {"enabled": True},
    }
}
#: Metrics the alerts may use that others export (docs/reference.md lists them).
EXTERNAL = {"kubelet_volume_stats_used_bytes", "kubelet_volume_stats_capacity_bytes", "up"}
ALERTS = [
    "SessionNotConnected",
    "SessionStuckStarting",
    "SessionRestartStorm",
    "WebhookSignatureFailures",
    "IngestLagHigh",
    "DeadLettersPresent",
    "OperatorNoActivePeer",
    "OperatorReconcileErrors",
    "APINotReady",
    "SessionVolumeNearlyFull",
]
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()


@pytest.fixture(scope="module")
def monitored() -> list[dict[str, Any]]:
    return render_manifests(ON)


def _rules(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rule = find(manifests, "PrometheusRule", "conectafy")
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def test_monitoring_is_off_by_default() -> None:
    kinds = {kind for kind, _, _ in identities(render_manifests())}
    assert kinds.isdisjoint({"ServiceMonitor", "PodMonitor", "PrometheusRule", "ConfigMap"})


def test_the_operator_always_serves_metrics_on_its_own_port() -> None:
    operator = find(render_manifests(), "Deployment", "conectafy-operator")
    container = operator["spec"]["template"]["spec"]["containers"][0]
    assert "--metrics=http://0.0.0.0:9090/metrics" in container["args"]
    assert {"name": "metrics", "containerPort": 9090} in container["ports"]
    assert "POD_ID" in container_env(operator)  # kopf's peer identity


def test_monitoring_on_adds_monitors_rules_and_dashboard(monitored: list[dict[str, Any]]) -> None:
    added = set(identities(monitored)) - set(identities(render_manifests()))
    assert sorted(added) == [
        ("ConfigMap", "conectafy-dashboard", "conectafy"),
        ("PodMonitor", "conectafy-api", "conectafy"),
        ("PodMonitor", "conectafy-operator", "conectafy"),
        ("PrometheusRule", "conectafy", "conectafy"),
        ("Service", "conectafy-operator-metrics", "conectafy"),
        ("ServiceMonitor", "conectafy-api", "conectafy"),
        ("ServiceMonitor", "conectafy-operator", "conectafy"),
    ]


def test_every_object_validates_with_monitoring_on(monitored: list[dict[str, Any]]) -> None:
    for manifest in monitored:
        if manifest["kind"] in SCHEMAS:
            jsonschema.validate(manifest, SCHEMAS[manifest["kind"]])
        elif manifest["apiVersion"] != "kopf.dev/v1":  # kopf's kinds are checked in test_chart.py
            kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)


def test_chart_lints_clean_with_monitoring_on() -> None:
    report = helm.lint(CHART_DIR, ON, strict=True, namespace="conectafy", kube_version=f"v{KUBE_VERSION}")
    assert report["errors"] == []


@pytest.mark.parametrize(
    "bad",
    [
        {"serviceMonitor": {"enabled": True, "interval": "thirty seconds"}},
        {"prometheusRule": {"enabled": True, "volumeFullRatio": 1.5}},
        {"grafanaDashboard": {"enabled": "yes"}},
        {"podMonitor": {"enabled": True, "scrapeTimeout": "10s"}},
    ],
)
def test_values_schema_rejects_bad_monitoring_values(bad: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="values don't meet the specifications of the schema"):
        render_manifests({"monitoring": bad})


def test_monitors_select_the_services_and_pods_they_scrape(monitored: list[dict[str, Any]]) -> None:
    for component, port in (("api", "http"), ("operator", "metrics")):
        monitor = find(monitored, "ServiceMonitor", f"conectafy-{component}")
        selected = [
            m
            for m in monitored
            if m["kind"] == "Service"
            and monitor["spec"]["selector"]["matchLabels"].items() <= m["metadata"]["labels"].items()
        ]
        assert [[p["name"] for p in s["spec"]["ports"]] for s in selected] == [[port]]
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_the_rule_has_every_alert_with_its_runbook_section(monitored: list[dict[str, Any]]) -> None:
    rules = _rules(monitored)
    assert [rule["alert"] for rule in rules] == [
        "SessionNotConnected",
        "SessionStuckStarting",
        "SessionRestartStorm",
        "SessionVolumeNearlyFull",
        "WebhookSignatureFailures",
        "IngestLagHigh",
        "DeadLettersPresent",
        "APINotReady",
        "OperatorNoActivePeer",
        "OperatorReconcileErrors",
    ]
    for rule in rules:
        anchor = rule["annotations"]["runbook_url"].rsplit("#", 1)[1]
        assert anchor == rule["alert"].lower()


@pytest.mark.parametrize("alert", ALERTS)
def test_runbook_section_says_what_it_means_how_to_confirm_and_what_to_do(alert: str) -> None:
    match = re.search(rf"^### {alert}\n(.*?)(?=^##)", OPERATIONS, re.S | re.M)
    assert match, f"docs/operations.md has no '### {alert}' section"
    section = match.group(1)
    says = ("**Means:**" in section, "kubectl conectafy" in section, "**Do:**" in section)
    assert says == (True, True, True)


async def _operator_exposition() -> str:
    """The /metrics of the operator's real endpoint (standalone: no Kubernetes needed to answer)."""
    app = metrics_app(kube=None, check=PeerCheck(True, None, None, 1), path="/metrics")  # type: ignore[arg-type]
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    finally:
        await runner.cleanup()


async def _api_exposition() -> str:
    app = create_app(ApiSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        return (await client.get("/metrics")).text


def _names(exposition: str) -> set[str]:
    """Every series name a query may use: families, their samples and the suffixes their types expose."""
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created")}
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.add(family.name)
        names.update(f"{family.name}{suffix}" for suffix in suffixes.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


@pytest.fixture
async def exported() -> AsyncIterator[set[str]]:
    yield _names(await _operator_exposition()) | _names(await _api_exposition())


def metric_names(expr: str) -> set[str]:
    found: set[str] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            found.add(node.name)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def _queries(monitored: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(where, PromQL) of every alert and every dashboard panel target."""
    dashboard = json.loads(find(monitored, "ConfigMap", "conectafy-dashboard")["data"]["conectafy.json"])
    panels = [(f"panel {p['title']}", t["expr"]) for p in dashboard["panels"] for t in p["targets"]]
    return [(f"alert {r['alert']}", r["expr"]) for r in _rules(monitored)] + panels


async def test_every_query_parses_and_uses_only_exported_metrics(
    monitored: list[dict[str, Any]], exported: set[str]
) -> None:
    unknown = {where: metric_names(expr) - exported - EXTERNAL for where, expr in _queries(monitored)}
    assert {where: names for where, names in unknown.items() if names} == {}
    assert len(unknown) == 10 + sum(1 for where in unknown if where.startswith("panel"))


def test_a_query_with_a_syntax_error_is_caught() -> None:
    with pytest.raises(ValueError):
        metric_names("sum(rate(conectafy_api_ready[5m])")
