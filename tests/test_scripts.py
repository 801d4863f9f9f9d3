"""The shell scripts in scripts/ (`make up`, `make e2e`, type-checking): they must parse and lint clean.

They drive Docker, kind and Helm, which this suite cannot run; what it can prove is that each script is
valid bash, passes shellcheck, and that `make up` explains what is missing instead of failing obscurely.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "scripts").glob("*.sh"))
SCRIPT_IDS = [script.name for script in SCRIPTS]


def test_scripts_exist() -> None:
    assert {"up.sh", "e2e-kind.sh"} <= set(SCRIPT_IDS)


@pytest.mark.parametrize("script", SCRIPTS, ids=SCRIPT_IDS)
def test_script_parses(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("script", SCRIPTS, ids=SCRIPT_IDS)
def test_script_is_shellcheck_clean(script: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = subprocess.run(
        [shellcheck, "--shell=bash", "--external-sources", str(script)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("script", SCRIPTS, ids=SCRIPT_IDS)
def test_script_is_executable_and_strict(script: Path) -> None:
    """`make` runs them directly, and an unnoticed failing step must stop the script."""
    text = script.read_text()
    facts = (
        os.access(script, os.X_OK),
        text.startswith("#!/usr/bin/env bash\n"),
        "set -euo pipefail" in text,
    )
    assert facts == (True, True, True)


@pytest.fixture
def up_without_tools(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`scripts/up.sh` on a PATH with none of docker/kind/kubectl/helm: only what runs before the check."""
    for tool in ("cat", "dirname"):
        found = shutil.which(tool)
        assert found is not None, f"{tool} is part of coreutils"
        (tmp_path / tool).symlink_to(found)
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, str(ROOT / "scripts" / "up.sh")],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": str(tmp_path), "HOME": str(tmp_path)},
    )


def test_up_names_every_missing_tool(up_without_tools: subprocess.CompletedProcess[str]) -> None:
    """All missing tools at once (not one per run), then exit 1 before touching anything."""
    lines = up_without_tools.stderr.splitlines()
    missing = [line.split(" is not installed")[0] for line in lines if " is not installed" in line]
    assert (up_without_tools.returncode, up_without_tools.stdout, missing) == (
        1,
        "",
        ["up: docker", "up: kind", "up: kubectl", "up: helm"],
    )


def test_up_points_at_the_demo_when_tools_are_missing(
    up_without_tools: subprocess.CompletedProcess[str],
) -> None:
    assert up_without_tools.stderr.splitlines()[-1] == (
        "up: without these, 'make demo' runs Conectafy on this machine (Kubernetes and WhatsApp simulated; "
        "docs/demo.md)"
    )


def test_up_explains_how_to_get_kind(up_without_tools: subprocess.CompletedProcess[str]) -> None:
    lines = [line.strip() for line in up_without_tools.stderr.splitlines()]
    start = lines.index(next(line for line in lines if line.startswith("up: kind is not installed")))
    assert lines[start : start + 6] == [
        "up: kind is not installed. It runs a Kubernetes cluster inside Docker containers. Install a release",
        "binary (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), e.g. on Linux x86-64:",
        "curl -Lo ./kind https://kind.sigs.k8s.io/dl/v0.27.0/kind-linux-amd64",
        "chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind",
        "or, with Go installed: go install sigs.k8s.io/kind@v0.27.0",
        "up: kubectl is not installed: https://kubernetes.io/docs/tasks/tools/#kubectl",
    ]
