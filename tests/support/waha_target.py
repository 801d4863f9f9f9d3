"""The WAHA a client test talks to: the simulator on 127.0.0.1 by default, a real WAHA with WAHA_URL.

`WAHA_URL` (and `WAHA_API_KEY`) point the same tests at a real WAHA 2026.x; without a paired phone
it never reaches WORKING, so tests marked `needs_whatsapp` are skipped there, and `/_sim/` (the
simulated phone) exists only in simulator mode.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conectafy.simulator.config import SimulatorConfig
from conectafy.simulator.runner import run_simulator
from conectafy.waha import SessionConfig, SessionInfo, WahaClient, WahaStatus

SIM_KEY = "sim-api-key"
#: Generous for a real WAHA: its status guard blocks up to 10 s before answering 422.
REAL_TIMEOUT = 30.0
#: A real WAHA reaches SCAN_QR_CODE only if WhatsApp's servers are reachable; give it this long.
REAL_QR_WAIT = 45.0
SIM_WAIT = 5.0


@dataclass
class WahaTarget:
    """A client plus, in simulator mode, the simulated phone behind `/_sim/`."""

    client: WahaClient
    url: str
    api_key: str | None
    simulated: bool

    async def phone(self, action: str, body: dict[str, Any] | None = None) -> Any:
        """Drive the simulated phone (`/_sim/<action>`): scan, inbound messages, unlink..."""
        assert self.simulated, "the /_sim/ control API exists only in the simulator"
        headers = {"X-Api-Key": self.api_key or ""}
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10) as http:
            response = await http.post(f"/_sim/{action}", json=body)
            response.raise_for_status()
            return response.json()

    async def phone_log(self, what: str) -> Any:
        assert self.simulated, "the /_sim/ control API exists only in the simulator"
        async with httpx.AsyncClient(base_url=self.url, headers={"X-Api-Key": self.api_key or ""}) as http:
            response = await http.get(f"/_sim/{what}")
            response.raise_for_status()
            return response.json()

    async def wait_for(self, *statuses: WahaStatus) -> SessionInfo:
        """Poll the session until it is in one of `statuses`; TimeoutError when it never gets there."""
        async with asyncio.timeout(SIM_WAIT if self.simulated else REAL_QR_WAIT):
            while True:
                session = await self.client.get_session()
                if session.status in statuses:
                    return session
                await asyncio.sleep(0.05)

    async def fresh(self, config: SessionConfig | None = None) -> SessionInfo:
        """A just-created, starting `default` session, whatever state the WAHA was left in."""
        await self.client.delete_session()
        return await self.client.create_session(start=True, config=config)

    async def scan_qr_code(self, config: SessionConfig | None = None) -> SessionInfo:
        """A fresh session showing its QR; skips against a real WAHA that cannot reach WhatsApp."""
        await self.fresh(config)
        try:
            return await self.wait_for(WahaStatus.SCAN_QR_CODE)
        except TimeoutError:
            if self.simulated:
                raise
            pytest.skip("the real WAHA never showed a QR: WhatsApp's servers are unreachable from it")

    async def working(self) -> SessionInfo:
        """A logged-in session: the simulated phone scans the QR."""
        await self.scan_qr_code()
        await self.phone("scan")
        return await self.wait_for(WahaStatus.WORKING)


@asynccontextmanager
async def waha_target(needs_whatsapp: bool) -> AsyncIterator[WahaTarget]:
    real_url = os.environ.get("WAHA_URL")
    if real_url:
        if needs_whatsapp:
            pytest.skip("needs a paired phone: a real WAHA without WhatsApp never reaches WORKING")
        api_key = os.environ.get("WAHA_API_KEY")
        async with WahaClient(real_url, api_key=api_key, timeout=REAL_TIMEOUT) as client:
            yield WahaTarget(client, real_url, api_key, simulated=False)
        return
    config = SimulatorConfig(api_key=SIM_KEY, start_session=False, status_guard_wait_seconds=0.0)
    async with run_simulator(config) as running, WahaClient(running.url, api_key=SIM_KEY) as client:
        yield WahaTarget(client, running.url, SIM_KEY, simulated=True)
