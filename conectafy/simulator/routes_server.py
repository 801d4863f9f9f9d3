"""Server, auth (QR, pairing code) and media-file routes of WAHA 2026.2.1."""

from __future__ import annotations

import base64
import secrets
import string
import time

from fastapi import APIRouter, Request
from starlette.responses import Response

from conectafy.simulator.deps import SimDep, check_name, guard, json_body
from conectafy.simulator.errors import WahaJSON, nest, plus_only
from conectafy.simulator.qr import render_qr_png
from conectafy.simulator.webhook_sender import environment
from conectafy.waha.status import WahaStatus

router = APIRouter()
_STARTED_MS = int(time.time() * 1000)


@router.get("/ping")
async def ping() -> WahaJSON:
    return WahaJSON({"message": "pong"})


@router.get("/health")
async def health(sim: SimDep) -> WahaJSON:
    """Core 2026.2.1 has no health endpoint: it answers the Plus-only 422."""
    raise plus_only(sim.config.engine)


@router.get("/api/version")
@router.get("/api/server/version")
async def version(sim: SimDep) -> WahaJSON:
    return WahaJSON(environment(sim.config))


@router.get("/api/server/status")
async def server_status(request: Request) -> WahaJSON:
    started: int = request.app.state.started_ms
    return WahaJSON(
        {"startTimestamp": started, "uptime": int(time.time() * 1000) - started, "worker": {"id": ""}}
    )


@router.get("/api/{name}/auth/qr")
async def get_qr(name: str, request: Request, sim: SimDep, format: str = "image") -> Response:
    """PNG by default, `{mimetype, data}` with Accept: application/json, `{value}` with format=raw."""
    check_name(sim, name)
    await guard(sim, [WahaStatus.SCAN_QR_CODE])
    value = sim.session.qr_value or ""
    if format == "raw":
        return WahaJSON({"value": value})
    png = render_qr_png(value)
    if "application/json" in request.headers.get("accept", ""):
        return WahaJSON({"mimetype": "image/png", "data": base64.b64encode(png).decode()})
    return Response(png, media_type="image/png")


@router.get("/api/screenshot")
async def screenshot(sim: SimDep, session: str = "default") -> Response:
    """NOWEB/GOWS have no browser: the QR while pairing (labelled image/jpeg), else a 422."""
    check_name(sim, session)
    if sim.session.status != WahaStatus.SCAN_QR_CODE:
        raise nest(422, "Can not get screenshot for non chrome based engine.")
    return Response(render_qr_png(sim.session.qr_value or ""), media_type="image/jpeg")


@router.post("/api/{name}/auth/request-code", status_code=201)
async def request_code(name: str, request: Request, sim: SimDep) -> WahaJSON:
    """A pairing code `XXXX-XXXX`; NOWEB rejects any `method`."""
    check_name(sim, name)
    body = await json_body(request)
    if body.get("method") and sim.config.engine == "NOWEB":
        raise nest(422, "NOWEB engine doesn't support any 'method', remove it and try again")
    await guard(sim, [WahaStatus.SCAN_QR_CODE])
    alphabet = string.ascii_uppercase + string.digits
    code = "".join(secrets.choice(alphabet) for _ in range(8))
    sim.session.pairing_code = f"{code[:4]}-{code[4:]}"
    return WahaJSON({"code": sim.session.pairing_code}, status_code=201)


@router.get("/api/files/{name}/{filename}")
async def get_file(name: str, filename: str, sim: SimDep) -> Response:
    """Downloaded media, served like Express static (content type by extension)."""
    media = sim.history.files.get(filename) if name == sim.session.name else None
    if media is None:  # Express static falls back to index.html, hence WAHA's odd message
        raise nest(404, f"ENOENT: no such file or directory, stat '{sim.config.files_folder}/index.html'")
    return Response(media.data, media_type=media.mimetype)
