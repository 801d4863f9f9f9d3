"""`doctor`: one screen of what needs a person; exit 1 when something does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from conectafy.cli import doctor
from conectafy.cli.options import ContextOpt, NamespaceOpt, run
from conectafy.kube import Kube, workloads

DEAD_LETTERED = "dead_lettered"


def _api_port(pod: dict[str, Any], port: Any) -> Any:
    """The pod's container port a Service's targetPort names (or the number itself)."""
    for container in (pod.get("spec") or {}).get("containers") or []:
        for candidate in container.get("ports") or []:
            if candidate.get("name") == port:
                return candidate.get("containerPort")
    return port


async def _api_checks(client: Kube, service_name: str, report: doctor.Report) -> None:
    """/ready through the Service; the webhook counters summed over every API pod's /metrics."""
    service = await workloads.get_service(client, service_name)
    if service is None:
        report.api_ready = (f"Service {service_name} not found in {client.namespace} (--api-service)", False)
        return
    port = (service["spec"].get("ports") or [{}])[0]
    code, body = await workloads.proxy_get(
        client, f"services/{service_name}:{port.get('name') or port.get('port')}", "ready"
    )
    report.api_ready = ("ready" if code == 200 else f"NOT READY ({code}): {body.strip()[:200]}", code == 200)
    pods = await workloads.list_pods(client, service["spec"].get("selector") or {})
    rejected = dead = 0.0
    for pod in pods:
        target = f"pods/{pod['metadata']['name']}:{_api_port(pod, port.get('targetPort', port.get('port')))}"
        code, text = await workloads.proxy_get(client, target, "metrics")
        if code != 200:
            report.notes.append(f"{target} /metrics answered {code}")
            continue
        try:
            rejected += doctor.metric_sum(text, "conectafy_api_webhook_rejected_signatures_total")
            dead += doctor.metric_sum(text, "conectafy_api_webhook_deliveries_total", outcome=DEAD_LETTERED)
        except ValueError as error:  # not Prometheus' text format (a proxy error page, …)
            report.notes.append(f"{target} /metrics is unreadable: {error}"[:200])
            continue
    if pods:
        report.rejected_signatures, report.dead_letters = rejected, dead


async def _doctor(
    namespace: str | None, context: str | None, api_service: str, peering: str
) -> doctor.Report:
    client = await workloads.connect(namespace, context)
    now = datetime.now(UTC)
    sessions = await client.list_session_objects()
    events = await workloads.list_events(client)
    report = doctor.Report(
        namespace=client.namespace,
        sessions=doctor.session_findings(sessions, events, now),
        total_sessions=len(sessions),
        operator=doctor.operator_peer(await workloads.get_peering(client, peering), now),
        api_ready=("unknown", False),
    )
    await _api_checks(client, api_service, report)
    return report


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor_command(
        namespace: NamespaceOpt = None,
        context: ContextOpt = None,
        api_service: Annotated[
            str, typer.Option(help="The API's Service in the namespace.")
        ] = "conectafy-api",
        peering: Annotated[str, typer.Option(help="The operator's kopf peering object.")] = "conectafy",
    ) -> None:
        """What needs a person: sessions not Connected and why, the operator's active peer, the API."""
        report = run(_doctor(namespace, context, api_service, peering))
        typer.echo(doctor.render(report))
        if report.needs_person:
            raise typer.Exit(code=1)
