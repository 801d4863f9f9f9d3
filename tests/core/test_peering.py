"""Which operator replica is active, from kopf's peering object (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conectafy.peering import active_peer, peers_of

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def peering(**peers: tuple[int, float]) -> dict[str, object]:
    """name=(priority, seconds since lastseen), lifetime 60 s."""
    seen = {name: (NOW - timedelta(seconds=ago)).isoformat() for name, (_, ago) in peers.items()}
    return {
        "status": {
            name: {"priority": p, "lifetime": 60, "lastseen": seen[name]} for name, (p, _) in peers.items()
        }
    }


@pytest.mark.parametrize(
    ("peers", "active"),
    [
        ({"a": (10, 5), "b": (5, 5)}, "a"),
        ({"a": (10, 120), "b": (5, 5)}, "b"),  # a's lifetime ran out: b takes over
        ({"a": (7, 5), "b": (7, 5)}, None),  # equal priorities pause every peer
        ({}, None),
    ],
)
def test_active_peer(peers: dict[str, tuple[int, float]], active: str | None) -> None:
    top = active_peer(peers_of(peering(**peers)), NOW)
    assert (top.identity if top else None) == active


def test_malformed_entries_are_skipped() -> None:
    assert peers_of({"status": {"a": "junk", "b": {"priority": 3}}})[0].identity == "b"
