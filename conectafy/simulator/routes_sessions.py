"""Session routes of WAHA 2026.2.1: list/get/create/update/delete, start/stop/restart/logout, me."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response
from ulid import ULID

from conectafy.simulator.core import SimulatedWaha
from conectafy.simulator.deps import SimDep, check_name, json_body
from conectafy.simulator.errors import WahaJSON, nest, only_default
from conectafy.waha.status import WahaStatus

router = APIRouter()


def session_item(sim: SimulatedWaha, *, with_engine: bool) -> dict[str, Any]:
    """A session as WAHA lists it; GET of one session adds `engine` (empty when stopped)."""
    session = sim.session
    running = session.running
    show_me = session.status in (WahaStatus.WORKING, WahaStatus.FAILED)
    item: dict[str, Any] = {
        "name": session.name,
        "status": session.status.value,
        "config": session.config,
        "me": session.me if show_me else None,
        "presence": None,
        "timestamps": {} if running else {"activity": None},
    }
    if with_engine:
        item["engine"] = {"engine": sim.config.engine} if running else {}
    return item


def _validate_config(config: object) -> dict[str, Any] | None:
    """The checks WAHA's DTO does on `config` (webhook URLs need a scheme)."""
    if config is None:
        return None
    if not isinstance(config, dict):
        raise nest(400, ["config must be an object"])
    accepted: dict[str, Any] = config
    errors = []
    for index, hook in enumerate(accepted.get("webhooks") or []):
        url = hook.get("url") if isinstance(hook, dict) else None
        if not isinstance(url, str) or "://" not in url:
            errors.append(f"config.webhooks.{index}.url must be a URL address")
    if errors:
        raise nest(400, errors)
    noweb = accepted.get("noweb")
    if isinstance(noweb, dict):  # WAHA echoes NOWEB's markOnline default first
        accepted = {**accepted, "noweb": {"markOnline": True, **noweb}}
    return accepted


def _empty(status_code: int) -> Response:
    return Response(status_code=status_code)


@router.get("/api/sessions")
async def list_sessions(sim: SimDep, all: bool = False) -> WahaJSON:
    session = sim.session
    show = session.exists and (all or session.status != WahaStatus.STOPPED)
    return WahaJSON([session_item(sim, with_engine=False)] if show else [])


@router.post("/api/sessions")
async def create_session(request: Request, sim: SimDep) -> Response:
    """Core quirks: `default` pre-exists (422); without `start: true` nothing is created (201, empty)."""
    body = await json_body(request)
    config = _validate_config(body.get("config"))
    name = body.get("name") or f"session_{str(ULID()).lower()}"  # WAHA names it; Core then refuses
    if name != sim.session.name:
        raise only_default(name)
    if sim.session.exists:
        raise nest(422, f"Session '{name}' already exists. Use PUT to update it.")
    if body.get("start") is not True:
        return _empty(201)
    sim.session.create(config)
    return WahaJSON(session_item(sim, with_engine=True), status_code=201)


@router.get("/api/sessions/{name}")
async def get_session(name: str, sim: SimDep) -> WahaJSON:
    check_name(sim, name)
    return WahaJSON(session_item(sim, with_engine=True))


@router.put("/api/sessions/{name}")
async def update_session(name: str, request: Request, sim: SimDep) -> WahaJSON:
    """Replace the config; a running session restarts to apply it."""
    check_name(sim, name)
    body = await json_body(request)
    sim.session.config = _validate_config(body.get("config"))
    if sim.session.running:
        sim.session.restart()
    return WahaJSON(session_item(sim, with_engine=True))


@router.delete("/api/sessions/{name}")
async def delete_session(name: str, sim: SimDep) -> Response:
    """Stop, log out and remove; deleting twice is fine."""
    if name != sim.session.name:
        raise only_default(name)
    sim.session.delete()
    return _empty(200)


@router.post("/api/sessions/{name}/start")
async def start_session(name: str, sim: SimDep) -> WahaJSON:
    check_name(sim, name)
    if sim.session.running:
        raise nest(422, f"Session '{name}' is already started.")
    sim.session.start()
    return WahaJSON(session_item(sim, with_engine=True), status_code=201)


@router.post("/api/sessions/{name}/stop")
async def stop_session(name: str, sim: SimDep) -> WahaJSON:
    check_name(sim, name)
    sim.session.stop()
    return WahaJSON(session_item(sim, with_engine=True), status_code=201)


@router.post("/api/sessions/{name}/restart")
async def restart_session(name: str, sim: SimDep) -> WahaJSON:
    check_name(sim, name)
    sim.session.restart()
    return WahaJSON(session_item(sim, with_engine=True), status_code=201)


@router.post("/api/sessions/{name}/logout")
async def logout_session(name: str, sim: SimDep) -> WahaJSON:
    check_name(sim, name)
    sim.session.logout()
    return WahaJSON(session_item(sim, with_engine=True), status_code=201)


@router.get("/api/sessions/{name}/me")
async def get_me(name: str, sim: SimDep) -> Response:
    """`me` once known; 200 with an EMPTY body before login; 404 when stopped."""
    check_name(sim, name)
    session = sim.session
    if not session.running:
        raise nest(
            404,
            f"We didn't find a session with name '{name}'.\n"
            f"Please start it first by using POST /api/sessions/{name}/start request",
        )
    if session.status in (WahaStatus.WORKING, WahaStatus.FAILED) and session.me is not None:
        return WahaJSON(session.me)
    return _empty(200)
