"""`conectafy waha-sim`: run a simulated WAHA container (one WhatsApp number).

Options also read WAHA's own environment variables, so the command can stand in for a WAHA
container configured by the operator (WAHA_API_KEY, WHATSAPP_HOOK_*, WAHA_BASE_URL...).
"""

from __future__ import annotations

from typing import Any

import typer

_ENGINE_HELP = "engine name reported: GOWS, NOWEB, WEBJS or WPP"


def _serve(host: str, port: int, options: dict[str, Any]) -> None:
    """Validate the settings at the edge (clear error, exit 2) and serve until interrupted."""
    import uvicorn
    from pydantic import ValidationError

    from conectafy.simulator import SimulatorConfig, create_app

    options["public_url"] = options["public_url"] or f"http://{host}:{port}"
    options["webhook_events"] = [e.strip() for e in options["webhook_events"].split(",") if e.strip()]
    try:
        config = SimulatorConfig(**options)
    except ValidationError as exc:
        typer.echo(f"invalid simulator settings:\n{exc}", err=True)
        raise typer.Exit(code=2) from exc
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    @app.command("waha-sim")
    def waha_sim_command(
        port: int = typer.Option(3000, envvar="WHATSAPP_API_PORT", help="port to serve WAHA's API on"),
        host: str = typer.Option("127.0.0.1", help="address to bind (loopback unless told otherwise)"),
        api_key: str = typer.Option(..., envvar="WAHA_API_KEY", help="X-Api-Key (plain or sha512:<hex>)"),
        webhook_url: str | None = typer.Option(None, envvar="WHATSAPP_HOOK_URL", help="global webhook"),
        webhook_events: str = typer.Option("*", envvar="WHATSAPP_HOOK_EVENTS", help="comma list or *"),
        hmac_key: str | None = typer.Option(None, envvar="WHATSAPP_HOOK_HMAC_KEY", help="webhook HMAC key"),
        engine: str = typer.Option("GOWS", envvar="WHATSAPP_DEFAULT_ENGINE", help=_ENGINE_HELP),
        retry_policy: str = typer.Option("constant", envvar="WHATSAPP_HOOK_RETRIES_POLICY"),
        retry_delay_seconds: float = typer.Option(2.0, envvar="WHATSAPP_HOOK_RETRIES_DELAY_SECONDS"),
        retry_attempts: int = typer.Option(15, envvar="WHATSAPP_HOOK_RETRIES_ATTEMPTS"),
        qr_rotation_seconds: float = typer.Option(60.0, help="seconds between QR rotations"),
        status_guard_wait_seconds: float = typer.Option(2.0, help="wait before a wrong-status 422"),
        start_session: bool = typer.Option(True, help="start `default` at boot (WHATSAPP_START_SESSION)"),
        paired: bool = typer.Option(False, help="boot with stored creds: WORKING without a QR"),
        public_url: str | None = typer.Option(None, envvar="WAHA_BASE_URL", help="base URL of media URLs"),
        phone_number: str = typer.Option("15550001111", help="phone number the simulated scan links"),
        push_name: str = typer.Option("Conectafy Simulator", help="push name of the linked account"),
    ) -> None:
        """Run a WAHA-compatible simulator of one WhatsApp number (drive the phone under /_sim/)."""
        options = {k: v for k, v in locals().items() if k not in ("host", "port")}
        _serve(host, port, {**options, "engine": engine.upper()})
