"""The one module that talks to S3-compatible object storage (AWS S3, MinIO, R2, Ceph...), via aioboto3.

Objects are written once (a media file never changes) and read back whole; a failure of either is a
`MediaStoreError`, so callers never see botocore's exception zoo.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from conectafy.settings import ApiSettings


class MediaStoreError(Exception):
    """Storage refused or could not be reached; `missing` when the object does not exist."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True, slots=True)
class StoredObject:
    content: bytes
    content_type: str | None


class MediaStore:
    """One bucket of one S3-compatible service; keys are made by the caller."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    async def put(self, key: str, content: bytes, content_type: str | None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        try:
            await self._s3.put_object(Bucket=self.bucket, Key=key, Body=content, **extra)
        except (BotoCoreError, ClientError) as error:
            raise MediaStoreError(f"could not store s3://{self.bucket}/{key}: {error}") from error

    async def get(self, key: str) -> StoredObject:
        try:
            answer = await self._s3.get_object(Bucket=self.bucket, Key=key)
            async with answer["Body"] as body:
                content: bytes = await body.read()
        except ClientError as error:
            missing = error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}
            raise MediaStoreError(
                f"could not read s3://{self.bucket}/{key}: {error}", missing=missing
            ) from error
        except BotoCoreError as error:
            raise MediaStoreError(f"could not read s3://{self.bucket}/{key}: {error}") from error
        content_type = answer.get("ContentType")
        return StoredObject(
            content=content, content_type=content_type if isinstance(content_type, str) else None
        )


@contextlib.asynccontextmanager
async def open_media_store(settings: ApiSettings) -> AsyncIterator[MediaStore]:
    """A store on `settings.s3_bucket`, its connection pool open for the block (the app's lifetime)."""
    if not settings.s3_bucket:
        raise ValueError("S3 media storage is not configured (CONECTAFY_S3_BUCKET is empty)")
    secret = settings.s3_secret_access_key
    session = aioboto3.Session()
    async with session.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, s3={"addressing_style": "path"}),
    ) as client:
        yield MediaStore(client, settings.s3_bucket)
