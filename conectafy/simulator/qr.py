"""QR codes like WAHA's: a Baileys-style raw value rendered as a real PNG with segno."""

from __future__ import annotations

import base64
import io
import secrets

import segno


def new_qr_value() -> str:
    """`2@<ref>,<noise key>,<identity key>,<adv secret>` — the shape a linked-device QR carries."""
    ref = secrets.token_hex(12).upper()
    keys = ",".join(base64.b64encode(secrets.token_bytes(32)).decode() for _ in range(3))
    return f"2@{ref},{keys}"


def render_qr_png(value: str) -> bytes:
    """Render the QR as WAHA does (PNG, readable by a phone camera or a decoder)."""
    out = io.BytesIO()
    segno.make(value, error="l", micro=False).save(out, kind="png", scale=6, border=4)
    return out.getvalue()
