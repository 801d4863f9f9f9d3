"""`conectafy operator`: run the WhatsAppSession operator (kopf) against the cluster in KUBECONFIG."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer


def run_operator(
    *,
    namespaces: list[str],
    clusterwide: bool,
    liveness: str | None,
    peering: str | None,
    standalone: bool,
    metrics: str | None = None,
) -> None:
    """Start kopf with our registry; blocks until SIGINT/SIGTERM."""
    import kopf

    from conectafy.logs import configure_logging
    from conectafy.operator.connections import pool_size
    from conectafy.operator.handlers import build_registry, needs_cluster_scanning
    from conectafy.operator.observed import Serving
    from conectafy.settings import get_operator_settings

    settings = get_operator_settings()
    configure_logging(settings.log_format)
    scanning = needs_cluster_scanning(namespaces, clusterwide=clusterwide)
    serving = None
    if metrics:
        namespace = None if clusterwide else sorted(namespaces)[0]
        serving = Serving(metrics, peering=None if standalone else peering, namespace=namespace)
    registry = build_registry(
        settings,
        standalone=standalone,
        scanning=scanning,
        serving=serving,
        kopf_connections=pool_size(namespaces, clusterwide=clusterwide, scanning=scanning),
    )
    asyncio.run(
        kopf.operator(
            registry=registry,
            namespaces=namespaces,
            clusterwide=clusterwide,
            liveness_endpoint=liveness,
            peering_name=peering,
            standalone=standalone,
        )
    )


def register(app: typer.Typer) -> None:
    @app.command("operator")
    def operator_command(
        namespace: Annotated[
            list[str] | None,
            typer.Option(
                "--namespace", "-n", help="Watch this namespace (repeatable; globs like 'tenant-*' work)."
            ),
        ] = None,
        all_namespaces: Annotated[
            bool, typer.Option("--all-namespaces", "-A", help="Watch every namespace (cluster-wide).")
        ] = False,
        liveness: Annotated[
            str | None,
            typer.Option(help="Serve kopf's liveness probe here, e.g. http://0.0.0.0:8080/healthz."),
        ] = None,
        peering: Annotated[
            str | None,
            typer.Option(help="kopf peering object name: with two replicas exactly one is active."),
        ] = None,
        metrics: Annotated[
            str | None,
            typer.Option(help="Serve Prometheus metrics here, e.g. http://0.0.0.0:9090/metrics."),
        ] = None,
        standalone: Annotated[
            bool, typer.Option(help="No peering (a single replica, or development).")
        ] = False,
    ) -> None:
        """Run the WhatsAppSession operator: one WAHA per WhatsApp number."""
        if bool(namespace) == all_namespaces:
            raise typer.BadParameter(
                "give either --namespace NS (repeatable) or --all-namespaces, exactly one of them"
            )
        run_operator(
            namespaces=namespace or [],
            clusterwide=all_namespaces,
            liveness=liveness,
            peering=peering,
            standalone=standalone,
            metrics=metrics,
        )
