"""`conectafy operator`: run the kopf operator (implemented with the operator)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("operator")
    def operator_command() -> None:
        """Run the WhatsAppSession operator."""
        raise typer.Exit(code=1)
