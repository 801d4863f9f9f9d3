"""Child processes of the demo: started in their own session (so a terminal's Ctrl-C reaches only the
demo, which then stops them in order), told to die with the demo on Linux, output kept in a log file."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1
#: Seconds a child gets to exit after SIGTERM before it is killed.
STOP_GRACE = 10.0


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the demo dies, even by SIGKILL (Linux only)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """One started process and where its output goes."""

    name: str
    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None


def conectafy_command(*args: str) -> list[str]:
    """`conectafy ARGS` run by this very interpreter (no PATH lookup)."""
    return [sys.executable, "-m", "conectafy", *args]


async def start_child(name: str, argv: list[str], env: dict[str, str], log: Path) -> Child:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env={**os.environ, **env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return Child(name, process, log)


async def stop_child(child: Child, grace: float = STOP_GRACE) -> int:
    """SIGTERM, then SIGKILL after `grace` seconds; returns the exit code."""
    if child.running:
        with contextlib.suppress(ProcessLookupError):
            child.process.terminate()
        try:
            await asyncio.wait_for(child.process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
    return await child.process.wait()
