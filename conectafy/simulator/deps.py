"""Dependencies of the simulator's routes: the simulated container and WAHA's request checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from conectafy.simulator.core import SimulatedWaha
from conectafy.simulator.errors import WahaError, nest, only_default, session_not_found, status_guard
from conectafy.simulator.webhook_sender import environment
from conectafy.waha.status import WahaStatus


def get_sim(request: Request) -> SimulatedWaha:
    sim: SimulatedWaha = request.app.state.sim
    return sim


SimDep = Annotated[SimulatedWaha, Depends(get_sim)]


def check_name(sim: SimulatedWaha, name: str) -> None:
    """Core serves only `default`; a deleted session is 404 like WAHA."""
    if name != sim.session.name:
        raise only_default(name)
    if not sim.session.exists:
        raise session_not_found()


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; anything else is WAHA's 400."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise nest(400, f"Unexpected token in JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise nest(400, ["body must be an object"])
    return body


async def guard(sim: SimulatedWaha, expected: list[WahaStatus]) -> None:
    """WAHA's status guard: wait a while for the wanted status, then answer 422."""
    status = await sim.session.wait_for(set(expected), sim.config.status_guard_wait_seconds)
    if status not in expected:
        raise status_guard(sim.session.name, status, expected)


def session_name(body: dict[str, Any]) -> str:
    name = body.get("session")
    if not name:
        raise nest(400, "Session name is required")
    if not isinstance(name, str):
        raise nest(400, ["session must be a string"])
    return name


def unexpected(request: Request, body: dict[str, Any], exc: Exception, sim: SimulatedWaha) -> WahaError:
    """WAHA's 500 for an unhandled engine error (e.g. sendText without chatId)."""
    return WahaError(
        500,
        {
            "statusCode": 500,
            "timestamp": _iso_now(),
            "exception": {"message": str(exc), "name": "TypeError", "stack": f"TypeError: {exc}"},
            "request": {
                "path": request.url.path,
                "method": request.method,
                "body": body,
                "query": dict(request.query_params),
            },
            "version": environment(sim.config),
        },
    )


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
