"""How fast the WAHA simulator answers and delivers webhooks (prints a table; not a test).

    python bench/simulator_webhooks.py [messages]

Measures, on 127.0.0.1: `POST /api/sendText` latency, and inbound messages injected through
`/_sim/messages` until every `message` + `message.any` webhook reached a local receiver.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conectafy.simulator import RunningSimulator, SimulatorConfig, run_simulator
from conectafy.simulator.runner import serve
from conectafy.waha.status import WahaStatus


class Receiver:
    """Counts deliveries; `done` fires once `expected` of them arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.expected = -1
        self.done = asyncio.Event()
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        await request.body()
        self.count += 1
        if self.count == self.expected:
            self.done.set()
        return Response()


async def _working(http: httpx.AsyncClient, waha: RunningSimulator) -> None:
    await waha.sim.session.wait_for({WahaStatus.SCAN_QR_CODE}, 5)
    await http.post("/_sim/scan")
    await waha.sim.session.wait_for({WahaStatus.WORKING}, 5)


async def main(messages: int) -> None:
    hook = Receiver()
    async with serve(hook.app) as hook_url:
        config = SimulatorConfig(
            api_key="bench", webhook_url=f"{hook_url}/hook", hmac_key="k", engine="NOWEB"
        )
        async with (
            run_simulator(config) as waha,
            httpx.AsyncClient(base_url=waha.url, headers={"X-Api-Key": "bench"}) as http,
        ):
            await _working(http, waha)
            latencies = []
            for number in range(messages):
                started = time.perf_counter()
                await http.post(
                    "/api/sendText",
                    json={"session": "default", "chatId": "15550002222@c.us", "text": f"m{number}"},
                )
                latencies.append(time.perf_counter() - started)
            await waha.sim.sender.join()
            hook.expected = hook.count + 2 * messages
            started = time.perf_counter()
            for number in range(messages):
                await http.post("/_sim/messages", json={"from": "15550002222", "text": f"in{number}"})
            await asyncio.wait_for(hook.done.wait(), 300)
            elapsed = time.perf_counter() - started
    print(f"{'measure':<42}{'value':>14}")
    print(f"{'sendText p50 latency (ms)':<42}{statistics.median(latencies) * 1000:>14.2f}")
    print(f"{'sendText p95 latency (ms)':<42}{sorted(latencies)[int(0.95 * len(latencies))] * 1000:>14.2f}")
    print(f"{'inbound messages':<42}{messages:>14}")
    print(f"{'webhooks delivered (message + message.any)':<42}{2 * messages:>14}")
    print(f"{'webhooks per second (signed, in order)':<42}{2 * messages / elapsed:>14.1f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
