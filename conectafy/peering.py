"""Which operator replica is active, read from kopf's peering object (pure).

kopf keeps one entry per replica in the peering object's `.status`
(`{<identity>: {priority, lifetime, lastseen}}`); a replica pauses while a live peer has a higher
or the same priority, so the active one is the single live peer with the highest priority, and
there is none when two share it. The operator's metrics and `kubectl conectafy doctor` both ask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

GROUP_VERSION = "kopf.dev/v1"
NAMESPACED_PLURAL = "kopfpeerings"
CLUSTER_PLURAL = "clusterkopfpeerings"


@dataclass(frozen=True)
class Peer:
    identity: str
    priority: int
    lastseen: datetime | None
    lifetime: timedelta

    def alive(self, now: datetime) -> bool:
        return self.lastseen is not None and now < self.lastseen + self.lifetime


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def peers_of(peering: dict[str, Any] | None) -> list[Peer]:
    """The peers a peering object lists; malformed entries are skipped."""
    entries = (peering or {}).get("status") or {}
    peers = []
    for identity, info in entries.items():
        if not isinstance(info, dict):
            continue
        peers.append(
            Peer(
                identity=str(identity),
                priority=int(info.get("priority") or 0),
                lastseen=_parse_time(info.get("lastseen")),
                lifetime=timedelta(seconds=int(info.get("lifetime") or 60)),
            )
        )
    return peers


def active_peer(peers: list[Peer], now: datetime) -> Peer | None:
    """The live peer with the highest priority; None when no peer is alive or the top is shared."""
    live = sorted((peer for peer in peers if peer.alive(now)), key=lambda peer: -peer.priority)
    if not live or (len(live) > 1 and live[1].priority == live[0].priority):
        return None
    return live[0]
