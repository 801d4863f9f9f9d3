"""`phone scan|message|logout NAME`: drive the simulated phone of a session whose WAHA is the simulator
(`conectafy demo`). Reached like `qr`: the Kubernetes API service proxy and the session's API key.
A real WAHA has no such phone; these commands then fail with a clear error."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer

from conectafy.cli.options import ContextOpt, NamespaceOpt, run
from conectafy.kube import workloads

phone_app = typer.Typer(
    name="phone",
    help="Simulation only (conectafy demo): act as the phone of a session — scan, send, log out.",
    no_args_is_help=True,
)
Kind = Literal["text", "image", "document"]


async def _act(
    name: str, action: str, body: dict[str, Any], namespace: str | None, context: str | None
) -> Any:
    client = await workloads.connect(namespace, context)
    await client.get_session(name)  # a clear "not found" before any call to WAHA
    waha = await workloads.connect_waha(client, name)
    return await waha.post(f"/_sim/{action}", body)


@phone_app.command("scan")
def scan_command(
    name: str,
    phone: Annotated[
        str | None, typer.Option(help="Number the phone links (digits; default the simulator's).")
    ] = None,
    namespace: NamespaceOpt = None,
    context: ContextOpt = None,
) -> None:
    """The phone scans the session's QR code."""
    body = {"phone": phone.lstrip("+")} if phone else {}
    answer = run(_act(name, "scan", body, namespace, context))
    typer.echo(f"{name}: scanned (simulated); WAHA is {answer.get('status')}")


@phone_app.command("message")
def message_command(
    name: str,
    contact: Annotated[str, typer.Option("--from", help="The contact's number (digits).")] = "15550002222",
    text: Annotated[str | None, typer.Option(help="The message text (a caption for media).")] = None,
    kind: Annotated[str, typer.Option("--type", help="text, image or document.")] = "text",
    filename: Annotated[str | None, typer.Option(help="A document's file name.")] = None,
    contact_name: Annotated[str, typer.Option(help="The contact's WhatsApp name.")] = "Demo contact",
    namespace: NamespaceOpt = None,
    context: ContextOpt = None,
) -> None:
    """A contact sends a message (text, image or document) to the session's number."""
    if kind not in ("text", "image", "document"):
        raise typer.BadParameter("--type must be text, image or document")
    if kind == "text" and not text:
        raise typer.BadParameter("a text message needs --text")
    body = {
        "from": contact.lstrip("+"),
        "type": kind,
        "text": text,
        "filename": filename,
        "pushName": contact_name,
    }
    answer = run(_act(name, "messages", {k: v for k, v in body.items() if v is not None}, namespace, context))
    typer.echo(f"{name}: {kind} from +{contact.lstrip('+')} delivered (simulated), id {answer.get('id')}")


@phone_app.command("logout")
def logout_command(name: str, namespace: NamespaceOpt = None, context: ContextOpt = None) -> None:
    """On the phone: Linked devices → this device → Log out. WAHA reports FAILED."""
    answer = run(_act(name, "unlink", {}, namespace, context))
    typer.echo(f"{name}: logged out from the phone (simulated); WAHA is {answer.get('status')}")


def register(app: typer.Typer) -> None:
    app.add_typer(phone_app)
