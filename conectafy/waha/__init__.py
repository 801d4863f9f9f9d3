"""Everything that speaks WAHA's HTTP API and understands its webhooks."""

from conectafy.waha.status import DEFAULT_SESSION, WahaStatus

__all__ = ["DEFAULT_SESSION", "WahaStatus"]
