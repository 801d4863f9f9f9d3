"""Options every kubectl-plugin command shares, and the one place their errors become exit codes."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer

from conectafy.kube import KubeError

T = TypeVar("T")

NamespaceOpt = Annotated[
    str | None,
    typer.Option(
        "--namespace", "-n", help="Namespace of the sessions (default: the kube context's namespace)."
    ),
]
ContextOpt = Annotated[str | None, typer.Option("--context", help="Kube context (default: the current one).")]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; errors the user can act on print one line and exit 1."""
    try:
        return asyncio.run(coroutine)
    except KubeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
