"""ApiSettings read from the environment: aliases, durations, and clear errors for bad values."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from conectafy.settings import ApiSettings


@pytest.mark.parametrize("name", ["DATABASE_URL", "CONECTAFY_DATABASE_URL"])
def test_database_url_accepts_both_names(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "postgresql://db.example/conectafy")
    assert ApiSettings().database_url == "postgresql://db.example/conectafy"


def test_supabase_mode_follows_supabase_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_URL", "https://project.supabase.co")
    monkeypatch.setenv("SUPABASE_SERVICE_KEY", "sk-very-private")
    settings = ApiSettings()
    assert (settings.supabase_mode, "sk-very-private" not in repr(settings)) == (True, True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("900", timedelta(minutes=15)), ("PT2M", timedelta(minutes=2)), ("1.5", timedelta(seconds=1.5))],
)
def test_durations_accept_seconds_or_iso8601(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: timedelta
) -> None:
    monkeypatch.setenv("CONECTAFY_ACCESS_TOKEN_TTL", raw)
    assert ApiSettings().access_token_ttl == expected


def test_bad_duration_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONECTAFY_REFRESH_TOKEN_TTL", "forever")
    with pytest.raises(ValidationError, match="refresh_token_ttl"):
        ApiSettings()


def test_defaults_listen_locally_and_limit_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "CONECTAFY_DATABASE_URL", "SUPABASE_URL", "CONECTAFY_HOST"):
        monkeypatch.delenv(name, raising=False)
    settings = ApiSettings()
    assert (settings.host, settings.port, settings.max_body_bytes, settings.database_url) == (
        "127.0.0.1",
        8000,
        4 * 1024 * 1024,
        None,
    )


def test_the_charts_s3_variables_configure_media_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CONECTAFY_S3_* the Helm chart sets is read (names taken from the chart itself)."""
    chart = (Path(__file__).resolve().parents[2] / "helm/conectafy/templates/_api.tpl").read_text()
    names = sorted(set(re.findall(r"CONECTAFY_S3_[A-Z_]+", chart)))
    for name in names:
        monkeypatch.setenv(name, name.lower())
    settings = ApiSettings()
    secret = settings.s3_secret_access_key
    assert (
        names,
        settings.s3_endpoint_url,
        settings.s3_region,
        settings.s3_bucket,
        settings.s3_access_key_id,
        secret.get_secret_value() if secret else None,
        settings.s3_enabled,
    ) == (
        [
            "CONECTAFY_S3_ACCESS_KEY_ID",
            "CONECTAFY_S3_BUCKET",
            "CONECTAFY_S3_ENDPOINT",
            "CONECTAFY_S3_REGION",
            "CONECTAFY_S3_SECRET_ACCESS_KEY",
        ],
        "conectafy_s3_endpoint",
        "conectafy_s3_region",
        "conectafy_s3_bucket",
        "conectafy_s3_access_key_id",
        "conectafy_s3_secret_access_key",
        True,
    )


def test_empty_s3_values_mean_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chart renders `value: ""` for an unset endpoint; that is AWS S3, not an endpoint named ""."""
    for name in ("CONECTAFY_S3_ENDPOINT", "CONECTAFY_S3_BUCKET", "CONECTAFY_S3_ACCESS_KEY_ID"):
        monkeypatch.setenv(name, "")
    settings = ApiSettings()
    assert (settings.s3_endpoint_url, settings.s3_bucket, settings.s3_access_key_id, settings.s3_enabled) == (
        None,
        None,
        None,
        False,
    )
