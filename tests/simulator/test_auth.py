"""API-key checks like WAHA's: the key itself or `sha512:<hex>`, on every route but /ping."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from conectafy.simulator import run_simulator
from conectafy.simulator.app import key_matches
from tests.simulator.support import fast_config

HASHED = "sha512:" + hashlib.sha512(b"s3cret").hexdigest()


@pytest.mark.parametrize(
    ("configured", "given", "accepted"),
    [
        ("s3cret", "s3cret", True),
        ("s3cret", "S3CRET", False),
        ("s3cret", "", False),
        (HASHED, "s3cret", True),
        (HASHED.upper().replace("SHA512:", "sha512:"), "s3cret", True),
        (HASHED, HASHED, False),
        (HASHED, "other", False),
    ],
)
def test_key_matches_plain_and_sha512_keys(configured: str, given: str, accepted: bool) -> None:
    assert key_matches(given, fast_config(api_key=configured)) is accepted


async def test_control_api_needs_the_key_too() -> None:
    async with run_simulator(fast_config()) as waha, httpx.AsyncClient(base_url=waha.url) as raw:
        answer = await raw.post("/_sim/scan")
    assert (answer.status_code, answer.json()) == (401, {"message": "Unauthorized", "statusCode": 401})
