"""WAHA's session status values, exactly as WAHA sends them (CONTRACT.md §5)."""

from enum import StrEnum


class WahaStatus(StrEnum):
    """`status` of a WAHA session; the passkey states exist in 2026.7+ (GOWS only)."""

    STOPPED = "STOPPED"
    STARTING = "STARTING"
    SCAN_QR_CODE = "SCAN_QR_CODE"
    WORKING = "WORKING"
    FAILED = "FAILED"
    PASSKEY_REQUIRED = "PASSKEY_REQUIRED"
    PASSKEY_CONFIRMATION_REQUIRED = "PASSKEY_CONFIRMATION_REQUIRED"


#: WAHA serves exactly one session per container in Core; its name is always this.
DEFAULT_SESSION = "default"
