"""A WAHA-compatible simulator of one WhatsApp number: a development and test tool.

    async with run_simulator(SimulatorConfig(api_key="k", webhook_url=..., hmac_key=...)) as waha:
        waha.url   # http://127.0.0.1:<port>, speaks WAHA 2026.2.1 (X-Api-Key: k)
        waha.sim   # the in-process state, for assertions

The phone is driven through the control API under `/_sim/` (see `conectafy.simulator.control`).
Production code never imports this package.
"""

from conectafy.simulator.app import create_app
from conectafy.simulator.config import RetryPolicy, SimulatorConfig
from conectafy.simulator.runner import RunningSimulator, run_simulator

__all__ = ["RetryPolicy", "RunningSimulator", "SimulatorConfig", "create_app", "run_simulator"]
