"""Is a live child still what we built? (pure; decides whether the operator patches).

"Still what we built" means desired ⊆ live: every field we set has our value, fields the server
adds (defaults, status, managedFields…) are ignored. Lists compare item by item and must keep their
length (a JSON merge patch replaces them whole, so that converges). Resource quantities compare by
value, because the API server rewrites them ("0.5" is stored as "500m", "1024Mi" as "1Gi").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
#: Keys whose values (or whose children's values) are quantities.
_QUANTITY_PARENTS = frozenset({"requests", "limits"})
_QUANTITY_KEYS = frozenset({"sizeLimit"})


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


def _same_quantity(desired: Any, live: Any) -> bool:
    try:
        return parse_quantity(desired) == parse_quantity(live)
    except ValueError:
        return bool(desired == live)


def _covers(desired: Any, live: Any, *, quantity: bool, key: str = "") -> bool:
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return False
        return all(_field_covers(name, value, live, parent=key) for name, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list) or len(live) != len(desired):
            return False
        pairs = zip(desired, live, strict=True)
        return all(_covers(want, have, quantity=False, key=key) for want, have in pairs)
    if quantity:
        return _same_quantity(desired, live)
    return bool(desired == live) and type(desired) is type(live)


def _field_covers(name: str, value: Any, live: Mapping[str, Any], *, parent: str) -> bool:
    """An empty map/list we asked for may be dropped by the server; that is not drift."""
    if name not in live:
        return value in ({}, [])
    quantity = parent in _QUANTITY_PARENTS or name in _QUANTITY_KEYS
    return _covers(value, live[name], quantity=quantity, key=name)


def is_drifted(desired: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """True when the live object lacks or changed something we set; server additions are ignored."""
    return not _covers(desired, live, quantity=False)
