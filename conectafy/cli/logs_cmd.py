"""`logs NAME [-f]`: a session's WAHA log, the seed's `docker logs -f waha-NAME`."""

from __future__ import annotations

from typing import Annotated

import typer

from conectafy.cli.options import ContextOpt, NamespaceOpt, run
from conectafy.kube import KubeError, workloads


async def _logs(
    name: str, follow: bool, tail: int | None, namespace: str | None, context: str | None
) -> None:
    client = await workloads.connect(namespace, context)
    await client.get_session_object(name)
    pods = await workloads.list_waha_pods(client, name)
    if not pods:
        raise KubeError(
            f"session {name!r} has no WAHA pod (stopped, or not scheduled yet): "
            f"see `kubectl conectafy sessions -n {client.namespace}`"
        )
    newest = max(pods, key=lambda pod: pod["metadata"].get("creationTimestamp") or "")
    async for line in workloads.stream_logs(client, newest["metadata"]["name"], follow=follow, tail=tail):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    @app.command("logs")
    def logs_command(
        name: str,
        follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
        tail: Annotated[int | None, typer.Option(help="Only the last N lines.")] = None,
        namespace: NamespaceOpt = None,
        context: ContextOpt = None,
    ) -> None:
        """Print a session's WAHA log."""
        run(_logs(name, follow, tail, namespace, context))
