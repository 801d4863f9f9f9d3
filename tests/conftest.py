"""Fixtures shared by the whole suite; markers `e2e`/`browser` skip with a reason when unavailable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
WAHA_FIXTURES = FIXTURES / "waha"
WAHA_SAMPLES = WAHA_FIXTURES / "samples"


def load_waha_sample(name: str) -> dict[str, Any]:
    """A captured request/response/webhook of the real WAHA (tests/fixtures/waha/samples)."""
    return json.loads((WAHA_SAMPLES / name).read_text())  # type: ignore[no-any-return]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.support.cluster import cluster_unreachable_reason

    if any("e2e" in item.keywords for item in items):
        reason = cluster_unreachable_reason()
        if reason:
            for item in items:
                if "e2e" in item.keywords:
                    item.add_marker(pytest.mark.skip(reason=f"e2e: {reason}"))
    if shutil.which("chromium") is None:
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(pytest.mark.skip(reason="browser: /usr/bin/chromium is not installed"))
