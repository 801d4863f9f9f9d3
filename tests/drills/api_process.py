"""The API process of the failure drills: `python tests/drills/api_process.py '<json>'` (run by path).

The real application (`create_app`, its webhook, chats and health routes, group commit, live events,
backfills) under uvicorn; only the session directory is fixed to the drill's one session (its webhook
key and its WAHA), as `bench/ingest.py` does: the Kubernetes watch that fills it in production is not
what these drills test. Run by path so the repository root (whose `operator/` would shadow the
standard library) is not on sys.path.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from conectafy.waha.client import WahaClient


@dataclass(frozen=True)
class OneSession:
    """The session directory's interface for the drill's single session."""

    session_name: str
    hmac_key: str
    waha_url: str
    waha_api_key: str
    namespace: str = "drill"

    async def webhook_key(self, session_name: str) -> str | None:
        return self.hmac_key if session_name == self.session_name else None

    async def nudge(self, session_name: str, waha_status: str) -> bool:
        return False

    async def waha_client(self, session_name: str) -> WahaClient:
        return WahaClient(self.waha_url, api_key=self.waha_api_key, timeout=30.0)

    async def check_kubernetes(self) -> None:
        return None


def main(raw: str) -> None:
    import uvicorn

    from conectafy.api.main import create_app
    from conectafy.api.services.backfill import backfills
    from conectafy.api.services.events import live_events
    from conectafy.logs import configure_logging
    from conectafy.settings import ApiSettings

    args = json.loads(raw)
    configure_logging("json", "WARNING")
    data_dir = Path(args["data_dir"])
    settings = ApiSettings(
        database_url=args["dsn"],
        data_dir=data_dir,
        jwt_secret=SecretStr("d" * 48),
        db_pool_max_size=10,
        web_dist_dir=data_dir / "none",
    )
    app = create_app(settings, background=[live_events, backfills])
    app.state.session_directory = OneSession(
        args["session"], args["webhook_key"], args["waha_url"], args["waha_api_key"]
    )
    uvicorn.run(app, host="127.0.0.1", port=args["port"], log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv[1])
