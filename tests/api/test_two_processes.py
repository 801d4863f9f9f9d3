"""Once per cluster, with real processes: two `conectafy api` against one database, one leader.

Each process reports `conectafy_api_background_leader` on /metrics; exactly one says 1. When that one
is stopped, the other takes the work over.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_server import _free_port, _wait_until_serving


def _start(pg_dsn: str, folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = _free_port()
    folder.mkdir()
    env = {
        **os.environ,
        "CONECTAFY_DATABASE_URL": pg_dsn,
        "CONECTAFY_DATA_DIR": str(folder / "data"),
        "CONECTAFY_JWT_SECRET": "two-processes-" + "k" * 40,
        "CONECTAFY_KUBERNETES_URL": "http://127.0.0.1:9",
        "CONECTAFY_WEB_DIST_DIR": str(folder / "no-dashboard"),
        "CONECTAFY_LEADER_RETRY_SECONDS": "0.2",
    }
    command = [sys.executable, "-c", "from conectafy.cli import main; main()", "api", "--port", str(port)]
    log = (folder / "stderr.log").open("wb")
    # cwd outside the checkout: its operator/ folder would shadow the standard library's `operator`.
    process = subprocess.Popen(command, env=env, cwd=folder, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    _wait_until_serving(url, process)
    return url, process


@pytest.fixture
def processes(pg_dsn: str, tmp_path: Path) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    started = [_start(pg_dsn, tmp_path / name) for name in ("a", "b")]
    yield started
    for _, process in started:
        process.terminate()
        process.wait(timeout=30)


def _leader_gauge(url: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith("conectafy_api_background_leader "):
            return float(line.split()[1])
    return 0.0


def _wait_for(check: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            assert callable(check)
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_exactly_one_process_leads_and_the_other_takes_over(
    processes: list[tuple[str, subprocess.Popen[bytes]]],
) -> None:
    urls = [url for url, _ in processes]

    def one_leads() -> None:
        assert sorted(_leader_gauge(url) for url in urls) == [0.0, 1.0]

    _wait_for(one_leads)
    leader = [_leader_gauge(url) for url in urls].index(1.0)
    processes[leader][1].terminate()
    processes[leader][1].wait(timeout=30)
    follower = urls[1 - leader]
    _wait_for(lambda: _assert_leads(follower))


def _assert_leads(url: str) -> None:
    assert _leader_gauge(url) == 1.0
