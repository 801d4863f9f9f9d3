"""`qr NAME` and `pair NAME --phone`: connect a number with nothing but kubectl access.

WAHA is reached through the Kubernetes API service proxy with the session's API key, so no port-forward
or Ingress is needed. `qr` redraws whenever WAHA rotates the code and exits once WhatsApp is connected.
"""

from __future__ import annotations

import asyncio
import io
import re
import sys
from collections.abc import Callable
from typing import Annotated, Any

import segno
import typer

from conectafy.cli.options import ContextOpt, NamespaceOpt, run
from conectafy.kube import Kube, KubeError, workloads
from conectafy.waha.status import DEFAULT_SESSION, WahaStatus

CLEAR_SCREEN = "\x1b[2J\x1b[H"
PHONE_PATTERN = re.compile(r"^\+?[0-9]{8,15}$")
GIVE_UP = {WahaStatus.FAILED, WahaStatus.STOPPED}


def render_terminal(value: str) -> str:
    """The QR as text: two modules per character (half blocks), light modules drawn, with a quiet zone."""
    out = io.StringIO()
    segno.make(value, error="l", micro=False).terminal(out=out, compact=True, border=2)
    return out.getvalue()


async def _waha_session(client: Kube, name: str) -> str:
    session = await client.get_session_object(name)
    return str((session.get("status") or {}).get("wahaSession") or DEFAULT_SESSION)


async def watch_qr(
    waha: workloads.Waha, session: str, show: Callable[[str], None], *, interval: float
) -> dict[str, Any]:
    """Show each new QR until WAHA reports WORKING; returns WAHA's session item then."""
    shown: str | None = None
    while True:
        item = await waha.get(f"/api/sessions/{session}")
        status = item.get("status")
        if status == WahaStatus.WORKING:
            return item  # type: ignore[no-any-return]
        if status in GIVE_UP:
            raise KubeError(f"WAHA session is {status}: try `kubectl conectafy restart {waha.session}`")
        if status == WahaStatus.SCAN_QR_CODE:
            value = (await waha.get(f"/api/{session}/auth/qr", {"format": "raw"}))["value"]
            if value != shown:
                show(render_terminal(value))
                shown = value
        await asyncio.sleep(interval)


def _show(text: str) -> None:
    prefix = CLEAR_SCREEN if sys.stdout.isatty() else ""
    typer.echo(f"{prefix}{text}Scan with WhatsApp → Linked devices → Link a device. Waiting…")


async def _qr(
    name: str, interval: float, give_up_after: float, namespace: str | None, context: str | None
) -> str:
    client = await workloads.connect(namespace, context)
    session = await _waha_session(client, name)
    waha = await workloads.connect_waha(client, name)
    try:
        item = await asyncio.wait_for(watch_qr(waha, session, _show, interval=interval), give_up_after)
    except TimeoutError as error:
        raise KubeError(
            f"not connected after {give_up_after:g}s; run the command again for a new code"
        ) from error
    me = item.get("me") or {}
    return f"Connected: {me.get('pushName') or ''} {me.get('id') or ''}".rstrip()


def normalise_phone(phone: str) -> str:
    """Digits only, country code first (WAHA's phoneNumber); spaces, dashes and a leading + are dropped."""
    compact = re.sub(r"[\s\-()]", "", phone)
    if not PHONE_PATTERN.fullmatch(compact):
        raise typer.BadParameter(
            f"{phone!r} is not a phone number: give the country code and number, e.g. +5511987654321"
        )
    return compact.lstrip("+")


async def _pair(name: str, phone: str, namespace: str | None, context: str | None) -> str:
    client = await workloads.connect(namespace, context)
    session = await _waha_session(client, name)
    waha = await workloads.connect_waha(client, name)
    status = (await waha.get(f"/api/sessions/{session}")).get("status")
    if status != WahaStatus.SCAN_QR_CODE:
        raise KubeError(f"WAHA session is {status}; a pairing code needs SCAN_QR_CODE")
    answer = await waha.post(f"/api/{session}/auth/request-code", {"phoneNumber": phone})
    return str(answer["code"])


def register(app: typer.Typer) -> None:
    @app.command("qr")
    def qr_command(
        name: str,
        interval: Annotated[
            float, typer.Option(min=0.01, help="Seconds between checks for a new code.")
        ] = 2.0,
        timeout: Annotated[float, typer.Option(min=1, help="Give up after this many seconds.")] = 300.0,
        namespace: NamespaceOpt = None,
        context: ContextOpt = None,
    ) -> None:
        """Draw the session's QR code in the terminal, refreshed until the number is connected."""
        typer.echo(run(_qr(name, interval, timeout, namespace, context)))

    @app.command("pair")
    def pair_command(
        name: str,
        phone: Annotated[str, typer.Option(help="The number to link, with country code: +5511987654321.")],
        namespace: NamespaceOpt = None,
        context: ContextOpt = None,
    ) -> None:
        """Get a pairing code to type on the phone instead of scanning a QR."""
        code = run(_pair(name, normalise_phone(phone), namespace, context))
        typer.echo(f"Pairing code: {code}\nOn the phone: WhatsApp → Linked devices → Link with phone number.")
