"""`conectafy demo` started as a user starts it (a subprocess), and what the tests need to drive it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psutil

from tests.support.net import free_port

READY_LINE = "Ctrl-C stops everything."
START_WITHIN = 240.0  # seconds: PostgreSQL's initdb, migrations, two processes, on a loaded machine
WAIT = 60.0
T = TypeVar("T")




@dataclass
class RunningDemo:
    process: subprocess.Popen[str]
    data_dir: Path
    api_url: str
    kube_url: str
    output: list[str] = field(default_factory=list)

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def env(self) -> dict[str, str]:
        """The environment of a terminal that ran `export KUBECONFIG=…` as the banner says."""
        bin_dir = str(Path(sys.executable).parent)  # kubectl finds the kubectl-conectafy plugin here
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig), "PATH": f"{bin_dir}:{os.environ['PATH']}"}

    def postmaster_pid(self) -> int:
        return int((self.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])


def start_demo(data_dir: Path, *options: str) -> RunningDemo:
    """Run `python -m conectafy demo` and wait for its banner; fail with its output otherwise."""
    api_port, kube_port = free_port(), free_port()
    argv = [sys.executable, "-m", "conectafy", "demo", "--port", str(api_port), "--kube-port", str(kube_port)]
    process = subprocess.Popen(
        [*argv, "--data-dir", str(data_dir), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    demo = RunningDemo(process, data_dir, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{kube_port}")
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            demo.output.append(line)
            if READY_LINE in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + START_WITHIN
    while not ready.wait(0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_demo(demo)
            raise AssertionError("the demo did not start:\n" + "".join(demo.output))
    return demo


def stop_demo(demo: RunningDemo, within: float = 90.0) -> int:
    """Ctrl-C (SIGINT), as in a terminal; returns the exit code."""
    if demo.process.poll() is None:
        demo.process.send_signal(signal.SIGINT)
    try:
        return demo.process.wait(within)
    except subprocess.TimeoutExpired:
        demo.process.kill()
        raise


def descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def alive(process: psutil.Process) -> bool:
    """Still running (a reused pid is another process: psutil compares creation times)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def until(probe: Callable[[], Awaitable[T | None]], within: float = WAIT) -> T:
    """Await `probe()` until it returns a truthy value; fail with the last value after `within` s."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within} s; last value: {value!r}")
        await asyncio.sleep(0.2)


async def run(demo: RunningDemo, *argv: str) -> Any:
    """A command in the demo's terminal (kubectl, conectafy); returns its stdout, fails on exit != 0."""
    process = await asyncio.create_subprocess_exec(
        *argv, env=demo.env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, f"{' '.join(argv)} -> {process.returncode}: {err.decode()}"
    return out.decode()
