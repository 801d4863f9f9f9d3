"""Serves the built dashboard (web/dist) at `/`, with the single-page-app fallback to index.html."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

#: Paths that belong to the API: an unknown one is a JSON 404, never the dashboard's index.html.
API_PREFIXES = ("api/", "webhooks/", "events", "health", "ready", "metrics", "docs", "redoc", "openapi.json")


class SpaStaticFiles(StaticFiles):
    """Static files; any other non-API GET gets index.html so client-side routes survive a reload."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True, check_dir=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as error:
            if error.status_code != 404 or path.startswith(API_PREFIXES):
                raise
            return await super().get_response("index.html", scope)


def dashboard_available(directory: Path) -> bool:
    return (directory / "index.html").is_file()
