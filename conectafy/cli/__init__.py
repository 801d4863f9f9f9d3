"""The `conectafy` command (also installed as the kubectl plugin `kubectl-conectafy`).

Each sub-command lives in its own module and registers itself on `app`.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="conectafy",
    help="Run and operate Conectafy: many WhatsApp numbers, one WAHA each, on Kubernetes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    from conectafy.cli import (
        doctor_cmd,
        finalizers_cmd,
        logs_cmd,
        operator_cmd,
        prune_cmd,
        qr_cmd,
        sessions_cmd,
        simulator_cmd,
    )

    for module in (operator_cmd, simulator_cmd):
        module.register(app)
    # the kubectl plugin's day-to-day commands
    for module in (sessions_cmd, logs_cmd, qr_cmd, prune_cmd, doctor_cmd):
        module.register(app)
    finalizers_cmd.register(app)  # the way out when the operator is gone

    from conectafy.cli import api_cmd, backfill_cmd

    api_cmd.register(app)  # the API server and its migrations
    backfill_cmd.register(app)

    from conectafy.cli import demo_cmd

    demo_cmd.register(app)  # `demo` and the demo's simulated `phone`


_register_commands()


def main() -> None:
    app()
