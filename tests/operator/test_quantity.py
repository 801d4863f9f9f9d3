"""Kubernetes quantities compared by value (a limit below its request is raised to it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from conectafy.operator.quantity import parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("0.5", Decimal("0.5")),
        ("2", Decimal(2)),
        (2, Decimal(2)),
        (0.25, Decimal("0.25")),
        ("1Gi", Decimal(1024**3)),
        ("1024Mi", Decimal(1024**3)),
        ("1G", Decimal(10**9)),
        ("1e3", Decimal(1000)),
        ("1.5k", Decimal(1500)),
        ("100n", Decimal("1e-7")),
        (".5", Decimal("0.5")),
    ],
)
def test_parse_quantity(text: Any, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "lots", "1Xi", "1 Gi", "Gi", True, None, "1..2"])
def test_parse_quantity_rejects_non_quantities(text: Any) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(text)
