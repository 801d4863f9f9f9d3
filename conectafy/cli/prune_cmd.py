"""`prune`: what the seed called orphans — WAHA objects whose session is gone — and why they go away."""

from __future__ import annotations

from typing import Any

import typer

from conectafy import labels
from conectafy.cli.options import ContextOpt, NamespaceOpt, run
from conectafy.cli.sessions_cmd import format_table
from conectafy.kube import workloads
from conectafy.session import KIND

EXPLANATION = (
    "Every WAHA Deployment, Service and PVC carries an ownerReference to its WhatsAppSession, so "
    "Kubernetes' garbage collector deletes them when the session is deleted; the Secret is deleted by the "
    "operator after the WAHA logout, and the Deployment and Service wait for it: there is nothing to prune "
    "by hand. Objects marked 'owner gone' are being collected now. A PVC marked 'retained' was kept on "
    "purpose (spec.storage.retainOnDelete) and holds a WhatsApp login: delete it with kubectl when it is no "
    "longer needed. A Secret marked 'left behind' outlived its session without the operator (finalizers "
    "removed by hand): delete it, and the garbage collector takes the rest."
)
#: Why an unowned child of a deleted session is still there, by kind.
UNOWNED_REASONS = {
    "Secret": "left behind: no operator deleted it",
    "PersistentVolumeClaim": "retained: no owner (storage.retainOnDelete)",
}


def _owner_uids(child: dict[str, Any]) -> list[str]:
    refs = child["metadata"].get("ownerReferences") or []
    return [ref["uid"] for ref in refs if ref.get("kind") == KIND]


def find_orphans(sessions: list[dict[str, Any]], children: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """(kind, name, session, reason) of every child whose session no longer exists."""
    live_uids = {s["metadata"].get("uid") for s in sessions}
    live_names = {s["metadata"]["name"] for s in sessions}
    rows = []
    for child in children:
        meta = child["metadata"]
        session = (meta.get("labels") or {}).get(labels.SESSION, "<unknown>")
        owners = _owner_uids(child)
        if owners and not live_uids.intersection(owners):
            reason = "owner gone: the garbage collector deletes it"
        elif not owners and session not in live_names:
            reason = UNOWNED_REASONS.get(child["kind"], "no owner")
        else:
            continue
        rows.append((child["kind"], meta["name"], session, reason))
    return sorted(rows)


async def _prune(namespace: str | None, context: str | None) -> str:
    client = await workloads.connect(namespace, context)
    orphans = find_orphans(await client.list_session_objects(), await workloads.list_waha_children(client))
    if not orphans:
        return f"No orphaned WAHA objects in namespace {client.namespace}.\n\n{EXPLANATION}"
    table = format_table(orphans, ("KIND", "NAME", "SESSION", "REASON"))
    return f"{table}\n\n{EXPLANATION}"


def register(app: typer.Typer) -> None:
    @app.command("prune")
    def prune_command(namespace: NamespaceOpt = None, context: ContextOpt = None) -> None:
        """List WAHA objects left behind by deleted sessions, and explain how they are removed."""
        typer.echo(run(_prune(namespace, context)))
