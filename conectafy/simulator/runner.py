"""`run_simulator`: serve the simulator on 127.0.0.1 in the background for tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from conectafy.simulator.app import create_app
from conectafy.simulator.config import SimulatorConfig
from conectafy.simulator.core import SimulatedWaha


class RunningSimulator:
    """A served simulator: its base URL and the in-process state (for assertions)."""

    def __init__(self, url: str, sim: SimulatedWaha) -> None:
        self.url = url
        self.sim = sim

    def __str__(self) -> str:
        return self.url


@contextlib.asynccontextmanager
async def serve(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, graceful_shutdown: int | None = None
) -> AsyncIterator[str]:
    """Serve any ASGI app with uvicorn on `host:port` (a free port when 0); yields its base URL.

    `graceful_shutdown` bounds how long stopping waits for open connections (SSE streams never end).
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it small keep-alive responses wait ~40 ms (Nagle +
    # delayed ACK), since uvicorn only sets it on sockets it creates itself.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=graceful_shutdown
    )
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the server stopped before it started")
            await asyncio.sleep(0.005)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def run_simulator(
    config: SimulatorConfig, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningSimulator]:
    """Serve a simulator until the block exits; media URLs use the served address unless set."""
    with socket.socket() as probe:
        probe.bind((host, port))
        port = probe.getsockname()[1]
    if config.public_url is None:
        config = config.model_copy(update={"public_url": f"http://{host}:{port}"})
    app = create_app(config)
    async with serve(app, host=host, port=port) as url:
        yield RunningSimulator(url, app.state.sim)
