"""`conectafy api` as a real process: uvicorn on 127.0.0.1, real HTTP, JSON log lines on stderr."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll /health until it answers (or the process dies, or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"conectafy api exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)  # not listening yet: poll again
    raise TimeoutError(f"{url} did not start within {timeout}s")


@pytest.fixture(scope="module")
def server(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One server for the module (starting a process is the slow part)."""
    tmp_path = tmp_path_factory.mktemp("server")
    port = _free_port()
    stderr = tmp_path / "stderr.log"
    env = {
        **os.environ,
        "CONECTAFY_DATABASE_URL": pg_dsn,
        "CONECTAFY_DATA_DIR": str(tmp_path / "data"),
        "CONECTAFY_JWT_SECRET": "server-test-" + "k" * 40,
        "CONECTAFY_KUBERNETES_URL": "http://127.0.0.1:9",
        "CONECTAFY_WEB_DIST_DIR": str(tmp_path / "no-dashboard"),
        "CONECTAFY_MAX_BODY_BYTES": "2048",
        "CONECTAFY_ARGON2_TIME_COST": "1",
        "CONECTAFY_ARGON2_MEMORY_COST_KIB": "1024",
    }
    command = [sys.executable, "-c", "from conectafy.cli import main; main()", "api", "--port", str(port)]
    with stderr.open("wb") as log:
        # cwd outside the checkout: its operator/ folder would shadow the standard library's `operator`.
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_serving(url, process)
            yield url, stderr
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_serves_registration_over_real_http(server: tuple[str, Path]) -> None:
    url, _ = server
    registered = httpx.post(
        f"{url}/api/auth/register", json={"email": "ana@example.com", "password": "long enough"}
    )
    token = registered.json()["access_token"]
    me = httpx.get(f"{url}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert (registered.status_code, me.json()["email"]) == (201, "ana@example.com")


def test_rejects_oversized_bodies_over_real_http(server: tuple[str, Path]) -> None:
    url, _ = server
    response = httpx.post(
        f"{url}/api/auth/login", content=b"x" * 4096, headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()["error"]) == (413, "payload_too_large")


def test_logs_are_json_lines(server: tuple[str, Path]) -> None:
    url, stderr = server
    httpx.get(f"{url}/health")
    lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request" and line.get("path") == "/health"]
    assert requests and {"method", "status", "duration_ms", "timestamp", "level"} <= set(requests[-1])
