"""`conectafy waha-sim`: run a simulated WAHA (implemented with the simulator)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("waha-sim")
    def waha_sim_command() -> None:
        """Run a WAHA-compatible simulator of one WhatsApp number."""
        raise typer.Exit(code=1)
