"""The container image's essentials, read from the Dockerfile (no Docker engine needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def test_stages_are_web_wheel_runtime() -> None:
    stages = [args.split()[-1] for keyword, args in _instructions() if keyword == "FROM"]
    assert stages == ["web", "wheel", "runtime"]


def test_base_images_are_pinned() -> None:
    images = [args.split()[0] for keyword, args in _instructions() if keyword == "FROM"]
    assert images == [
        "node:22.12.0-bookworm-slim",
        "python:3.11.11-slim-bookworm",
        "python:3.11.11-slim-bookworm",
    ]


def test_runtime_runs_as_a_numeric_non_root_user() -> None:
    users = [args for keyword, args in _final_stage() if keyword == "USER"]
    assert users == ["10001:10001"]  # numeric, so Kubernetes' runAsNonRoot can verify it


def test_entry_point_is_the_conectafy_cli() -> None:
    entrypoints = [json.loads(args) for keyword, args in _final_stage() if keyword == "ENTRYPOINT"]
    assert entrypoints == [["conectafy"]]


def test_web_stage_builds_the_dashboard_from_its_lockfile() -> None:
    runs = [args for keyword, args in _instructions() if keyword == "RUN"]
    assert runs[:2] == ["npm ci --no-audit --no-fund", "npm run build"]


def test_build_context_leaves_out_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "web/node_modules", "tests"} <= set(ignored)
