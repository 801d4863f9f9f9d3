"""A real S3-compatible server for media tests: moto's HTTP server on 127.0.0.1, one bucket per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import aioboto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from conectafy.settings import ApiSettings


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    """moto's S3 on a free 127.0.0.1 port, for one test module (import this fixture to use it)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


async def with_new_bucket(settings: ApiSettings, s3_url: str, **overrides: Any) -> ApiSettings:
    """`settings` with S3 media storage on, in a bucket made for the caller."""
    configured = settings.model_copy(
        update={
            "s3_bucket": f"media-{uuid.uuid4().hex[:12]}",
            "s3_endpoint_url": s3_url,
            "s3_access_key_id": "testing",
            "s3_secret_access_key": SecretStr("testing"),
            **overrides,
        }
    )
    async with s3_client(configured) as s3:
        await s3.create_bucket(Bucket=configured.s3_bucket)
    return configured


def s3_client(settings: ApiSettings) -> Any:
    """A plain aioboto3 client of the test server (to check objects independently of the API)."""
    assert settings.s3_secret_access_key is not None
    return aioboto3.Session().client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key.get_secret_value(),
    )


async def read_object(settings: ApiSettings, key: str) -> tuple[bytes, str]:
    """An object's bytes and Content-Type."""
    async with s3_client(settings) as s3:
        answer = await s3.get_object(Bucket=settings.s3_bucket, Key=key)
        async with answer["Body"] as body:
            content: bytes = await body.read()
            return content, str(answer["ContentType"])
