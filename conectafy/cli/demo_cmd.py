"""`conectafy demo`: the whole system on this machine, no Docker, no cluster, no phone (see
conectafy/demo). `conectafy phone …`: the demo's simulated phone, for any session run by the simulator."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

from conectafy.cli import phone_cmd


async def _serve(options: object, seed: bool) -> None:
    from conectafy.demo.banner import banner
    from conectafy.demo.run import DemoOptions, run_demo
    from conectafy.demo.seed import seed_demo
    from conectafy.logs import configure_logging

    configure_logging("console", "WARNING")  # the banner is the output; each part logs to its file

    assert isinstance(options, DemoOptions)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None

    def on_signal() -> None:
        """First Ctrl-C: stop (cancels a start-up still under way); later ones are ignored."""
        if stop.is_set():
            return
        stop.set()
        typer.echo("\nStopping the demo …", err=True)
        if not started.is_set():
            main.cancel()

    started = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    typer.echo("Starting the Conectafy demo (PostgreSQL, Kubernetes API, API, operator) …", err=True)
    async with run_demo(options) as demo:
        seeded = await seed_demo(demo) if seed else None
        started.set()
        typer.echo(banner(demo, options.host, seeded))
        await stop.wait()
    typer.echo("Demo stopped: every process it started has exited.", err=True)


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        seed: Annotated[
            bool, typer.Option(help="Create a demo user, two numbers and a few conversations.")
        ] = False,
        host: Annotated[
            str, typer.Option(help="Address of the dashboard/API (only it; the rest stays on 127.0.0.1).")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port of the dashboard/API.")] = 8000,
        kube_port: Annotated[
            int, typer.Option(help="Port of the simulated Kubernetes API (0: any free one).")
        ] = 0,
        data_dir: Annotated[
            Path | None,
            typer.Option(
                help="Keep PostgreSQL, logs and the kubeconfig here (default: a temporary folder, removed)."
            ),
        ] = None,
    ) -> None:
        """Run Conectafy on this machine: the real operator, API, dashboard and PostgreSQL, with
        Kubernetes, WAHA and WhatsApp simulated. Ctrl-C stops everything."""
        from conectafy.demo.run import DemoError, DemoOptions

        options = DemoOptions(host=host, port=port, kube_port=kube_port, data_dir=data_dir)
        try:
            asyncio.run(_serve(options, seed))
        except DemoError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=1) from error
        except asyncio.CancelledError:
            typer.echo("Demo stopped before it was ready.", err=True)

    phone_cmd.register(app)
