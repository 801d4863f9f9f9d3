"""`conectafy api --workers 2`: two processes, one port, one embedded PostgreSQL, one JWT secret, one leader.

Neither the database nor the secret is configured, so the command must start the embedded PostgreSQL
and generate the secret once, before the workers exist (two workers generating it would sign tokens the
other refuses). Each request below opens a new connection, so the kernel spreads them over both workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.api.test_server import _free_port, _wait_until_serving

REQUESTS = 24


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path, port = tmp_path_factory.mktemp("workers"), _free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.endswith("DATABASE_URL") and k != "CONECTAFY_JWT_SECRET"
        },
        "CONECTAFY_DATA_DIR": str(tmp_path / "data"),
        "CONECTAFY_KUBERNETES_URL": "http://127.0.0.1:9",
        "CONECTAFY_WEB_DIST_DIR": str(tmp_path / "no-dashboard"),
        "CONECTAFY_ARGON2_TIME_COST": "1",
        "CONECTAFY_ARGON2_MEMORY_COST_KIB": "1024",
    }
    command = [sys.executable, "-c", "from conectafy.cli import main; main()", "api", "--port", str(port),
               "--workers", "2"]  # fmt: skip
    with (tmp_path / "stderr.log").open("wb") as log:
        # cwd outside the checkout: its operator/ folder would shadow the standard library's `operator`.
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_serving(url, process, timeout=120)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=60)


def _leader_gauge(url: str) -> float:
    with httpx.Client(base_url=url, timeout=10) as fresh:  # a new connection: any worker may answer
        for line in fresh.get("/metrics").text.splitlines():
            if line.startswith("conectafy_api_background_leader "):
                return float(line.split()[1])
    return -1.0


def test_two_workers_answer_and_exactly_one_of_them_leads(api_url: str) -> None:
    seen = {_leader_gauge(api_url) for _ in range(REQUESTS)}
    assert seen == {0.0, 1.0}


def test_a_token_from_one_worker_is_accepted_by_every_worker(api_url: str) -> None:
    registered = httpx.post(
        f"{api_url}/api/auth/register", json={"email": "workers@example.com", "password": "a long password 1"}
    )
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    answers = [httpx.get(f"{api_url}/api/auth/me", headers=headers).status_code for _ in range(REQUESTS)]
    assert answers == [200] * REQUESTS
