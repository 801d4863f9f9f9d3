"""`conectafy operator`: the watch scope must be explicit — one namespace list or the whole cluster."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conectafy.cli import app


@pytest.mark.parametrize("args", [[], ["--namespace", "team", "--all-namespaces"]])
def test_operator_needs_exactly_one_watch_scope(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["operator", *args])
    assert (result.exit_code, "exactly one of them" in result.output) == (2, True)
