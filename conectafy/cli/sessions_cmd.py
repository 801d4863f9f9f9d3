"""`sessions`, `restart`, `stop`, `start`: the seed's `docker ps | grep waha` and `docker restart`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from conectafy import labels
from conectafy.cli.options import ContextOpt, NamespaceOpt, run
from conectafy.kube import workloads

COLUMNS = ("NAME", "PHASE", "PHONE", "NODE", "AGE")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_age(created: str | None, now: datetime) -> str:
    """kubectl's AGE: the largest unit that fits (45s, 12m, 5h, 3d)."""
    if not created:
        return "<unknown>"
    seconds = max(0, int((now - _parse_time(created)).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def session_rows(
    sessions: list[dict[str, Any]], pods: list[dict[str, Any]], now: datetime
) -> list[tuple[str, ...]]:
    """One row per session; NODE is where its WAHA pod runs (none while paused or pending)."""
    nodes = {
        pod["metadata"]["labels"][labels.SESSION]: pod.get("spec", {}).get("nodeName") or "<pending>"
        for pod in pods
        if labels.SESSION in (pod["metadata"].get("labels") or {})
    }
    rows: list[tuple[str, ...]] = []
    for session in sorted(sessions, key=lambda s: s["metadata"]["name"]):
        name = session["metadata"]["name"]
        status = session.get("status") or {}
        rows.append(
            (
                name,
                status.get("phase") or "Pending",
                status.get("phoneNumber") or "<none>",
                nodes.get(name, "<none>"),
                format_age(session["metadata"].get("creationTimestamp"), now),
            )
        )
    return rows


def format_table(rows: list[tuple[str, ...]], columns: tuple[str, ...] = COLUMNS) -> str:
    """Left-aligned columns separated by three spaces, like kubectl."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=True)]
    lines = [
        "   ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [columns, *rows]
    ]
    return "\n".join(lines)


async def _sessions(namespace: str | None, context: str | None) -> str:
    client = await workloads.connect(namespace, context)
    sessions = await client.list_session_objects()
    if not sessions:
        return f"No WhatsAppSessions in namespace {client.namespace}."
    pods = await workloads.list_waha_pods(client)
    return format_table(session_rows(sessions, pods, datetime.now(UTC)))


async def _patch(name: str, patch: dict[str, Any], namespace: str | None, context: str | None) -> None:
    client = await workloads.connect(namespace, context)
    await client.get_session_object(name)  # a clear error, and nothing patched, for a wrong name
    await client.patch_session_object(name, patch)


def register(app: typer.Typer) -> None:
    @app.command("sessions")
    def sessions_command(namespace: NamespaceOpt = None, context: ContextOpt = None) -> None:
        """List sessions: name, phase, phone, node, age."""
        typer.echo(run(_sessions(namespace, context)))

    @app.command("restart")
    def restart_command(name: str, namespace: NamespaceOpt = None, context: ContextOpt = None) -> None:
        """Restart a session's WAHA pod (the login is kept)."""
        stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        run(_patch(name, {"metadata": {"annotations": {labels.RESTARTED_AT: stamp}}}, namespace, context))
        typer.echo(f"whatsappsession/{name} restart requested ({labels.RESTARTED_AT}={stamp})")

    @app.command("stop")
    def stop_command(name: str, namespace: NamespaceOpt = None, context: ContextOpt = None) -> None:
        """Stop a session: WAHA scales to zero, the login data stays."""
        run(_patch(name, {"spec": {"paused": True}}, namespace, context))
        typer.echo(f"whatsappsession/{name} stopped (spec.paused=true)")

    @app.command("start")
    def start_command(name: str, namespace: NamespaceOpt = None, context: ContextOpt = None) -> None:
        """Start a stopped session again."""
        run(_patch(name, {"spec": {"paused": False}}, namespace, context))
        typer.echo(f"whatsappsession/{name} started (spec.paused=false)")
