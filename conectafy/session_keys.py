"""Per-session credentials derived from one master key, so the API needs no Secret reads (pure).

The operator and the API both hold the master key (mounted from one Secret by the kubelet, which needs
no RBAC of their ServiceAccounts). Each session's WAHA API key and webhook HMAC key are
HMAC-SHA256(master, "<purpose>:<namespace>/<name>"): the operator writes them into the session's Secret
for WAHA, the API computes the same values when it calls WAHA or verifies a webhook. The namespace is
part of the input, so same-named sessions in two namespaces never share a key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

API_KEY_PURPOSE = "waha-api-key"
WEBHOOK_HMAC_PURPOSE = "webhook-hmac-key"


def derive_key(master: str, *, purpose: str, namespace: str, name: str) -> str:
    """43 URL-safe characters (256 bits), stable for one session and purpose."""
    digest = hmac.new(master.encode(), f"{purpose}:{namespace}/{name}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def session_keys(master: str, *, namespace: str, name: str) -> tuple[str, str]:
    """(WAHA API key, webhook HMAC key) of one session."""
    return (
        derive_key(master, purpose=API_KEY_PURPOSE, namespace=namespace, name=name),
        derive_key(master, purpose=WEBHOOK_HMAC_PURPOSE, namespace=namespace, name=name),
    )
