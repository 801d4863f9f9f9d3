"""`conectafy waha-sim` validates its settings before serving anything."""

from __future__ import annotations

from typer.testing import CliRunner

from conectafy.cli import app


def test_invalid_engine_is_rejected_with_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["waha-sim", "--api-key", "k", "--engine", "chrome"])
    assert result.exit_code == 2
    assert "invalid simulator settings" in result.output and "engine" in result.output


def test_api_key_is_required() -> None:
    result = CliRunner().invoke(app, ["waha-sim"], env={"WAHA_API_KEY": ""})
    assert result.exit_code == 2
