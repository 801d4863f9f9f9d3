"""Kubernetes resource quantities ("500m", "1Gi", "2") as exact numbers (pure), so a limit can be
compared with its request however either is written."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][-+]?[0-9]+)|([a-zA-Z]*))$")
_BINARY = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_SUFFIX: dict[str, Decimal] = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    **{suffix: Decimal(1024) ** power for power, suffix in enumerate(_BINARY, 1)},
}


def parse_quantity(value: Any) -> Decimal:
    """A Kubernetes quantity (`500m`, `1Gi`, `2`, `1e3`, or a number) as an exact Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a Kubernetes quantity: {value!r}")
    if not isinstance(value, str):
        return Decimal(str(value))
    match = _QUANTITY.match(value.strip())
    if match is None or (match.group(3) or "") not in _SUFFIX:
        raise ValueError(f"not a Kubernetes quantity: {value!r}")
    number, exponent, suffix = match.groups()
    if exponent:
        return Decimal(number + exponent)
    return Decimal(number) * _SUFFIX[suffix or ""]
