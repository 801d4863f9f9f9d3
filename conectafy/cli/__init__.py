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
    from conectafy.cli import logs_cmd, operator_cmd, prune_cmd, qr_cmd, sessions_cmd, simulator_cmd

    for module in (operator_cmd, simulator_cmd):
        module.register(app)
    for module in (sessions_cmd, logs_cmd, qr_cmd, prune_cmd):  # the kubectl plugin's day-to-day commands
        module.register(app)

    from conectafy.cli import api_cmd

    api_cmd.register(app)  # the API server and its migrations

    from conectafy.cli import demo_cmd

    demo_cmd.register(app)  # `demo` and the demo's simulated `phone`


_register_commands()


def main() -> None:
    app()
