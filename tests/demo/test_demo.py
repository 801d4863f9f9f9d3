"""`conectafy demo` as a newcomer runs it: one subprocess, then the whole flow through its HTTP API (register,
create a number, QR, scan, chat, send, restart, phone log-out, delete), a session applied with kubectl
through the kubeconfig it wrote, and Ctrl-C leaving no process behind.

The tests share one demo (starting one costs PostgreSQL's initdb and two processes) and run in file order:
the last one stops it.
"""

from __future__ import annotations

import asyncio
import base64
import io
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import zxingcpp
from PIL import Image

from tests.demo.running import RunningDemo, alive, descendants, run, start_demo, stop_demo, until

pytestmark = pytest.mark.timeout(600)
KUBECTL = shutil.which("kubectl")
PASSWORD = "correct horse battery staple"
PHONE = "5511987654321"
CONTACT = "15550002222"
CHAT = f"{CONTACT}@c.us"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "session.yaml"


@pytest.fixture(scope="module")
def demo() -> Iterator[RunningDemo]:
    """A folder under /tmp, not pytest's: as root, PostgreSQL runs as its own user, which must reach it."""
    folder = Path(tempfile.mkdtemp(prefix="conectafy-demo-test-"))
    try:
        running = start_demo(folder)
        yield running
        stop_demo(running)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def alice(demo: RunningDemo) -> AsyncIterator[httpx.AsyncClient]:
    """A registered user's client of the demo's API."""
    async with httpx.AsyncClient(base_url=demo.api_url, timeout=30) as http:
        email = f"alice-{uuid.uuid4().hex[:8]}@example.com"  # one account per test, in the shared demo
        answer = await http.post("/api/auth/register", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 201, answer.text
        http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield http


async def in_phase(http: httpx.AsyncClient, path: str, phase: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        session: dict[str, Any] = (await http.get(path)).json()
        return session if session.get("phase") == phase else None

    return await until(probe)


async def messages(http: httpx.AsyncClient, path: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = (await http.get(f"{path}/chats/{CHAT}/messages")).json()["items"]
        return items if len(items) >= count else None

    return await until(probe)


async def kube_get(demo: RunningDemo, path: str, headers: dict[str, str] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=demo.kube_url, timeout=10) as kube:
        answer = await kube.get(path, headers=headers)
        answer.raise_for_status()
        return answer.json()


async def sent_to_contacts(demo: RunningDemo, session: str) -> list[dict[str, Any]]:
    """What the simulated phone's contacts received, read through the service proxy with WAHA's key."""
    namespace = f"/api/v1/namespaces/{demo_namespace()}"
    secret = await kube_get(demo, f"{namespace}/secrets/waha-{session}")
    key = base64.b64decode(secret["data"]["api-key"]).decode()
    sent: list[dict[str, Any]] = await kube_get(
        demo, f"{namespace}/services/waha-{session}:http/proxy/_sim/sent", {"X-Api-Key": key}
    )
    return sent


def demo_namespace() -> str:
    return "conectafy"


async def pod_names(demo: RunningDemo, session: str) -> list[str]:
    pods = await kube_get(demo, f"/api/v1/namespaces/{demo_namespace()}/pods")
    return [
        p["metadata"]["name"]
        for p in pods["items"]
        if p["metadata"]["labels"].get("conectafy.io/session") == session
    ]


async def test_a_number_goes_from_qr_to_chat_to_deletion_through_the_api(
    demo: RunningDemo, alice: httpx.AsyncClient
) -> None:
    created = (await alice.post("/api/sessions", json={"name": "support"})).json()
    path, name = f"/api/sessions/{created['id']}", created["name"]
    await in_phase(alice, path, "ScanQR")
    png = (await alice.get(f"{path}/qr")).content
    raw = (await alice.get(f"{path}/qr", params={"format": "raw"})).json()["value"]
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [raw]

    scanned = await alice.post(f"/api/demo/sessions/{created['id']}/phone/scan", json={"phone": PHONE})
    assert scanned.status_code == 200, scanned.text
    connected = await in_phase(alice, path, "Connected")
    assert (connected["status"], connected["phone_number"]) == ("connected", f"+{PHONE}")

    for body in (
        {"contact": CONTACT, "type": "text", "text": "Is my order on its way?"},
        {"contact": CONTACT, "type": "image", "text": "the parcel"},
        {"contact": CONTACT, "type": "document", "filename": "invoice.pdf"},
    ):
        answer = await alice.post(f"/api/demo/sessions/{created['id']}/phone/messages", json=body)
        assert answer.status_code == 201, answer.text
    received = await messages(alice, path, 3)
    assert sorted((m["type"], m["from_me"]) for m in received) == [
        ("document", False),
        ("image", False),
        ("text", False),
    ]

    reply = await alice.post(f"{path}/chats/{CHAT}/messages", json={"text": "Yes, tomorrow."})
    assert reply.status_code == 201, reply.text
    sent = await sent_to_contacts(demo, name)
    assert [(m["from"], m["fromMe"], m["body"]) for m in sent] == [(CHAT, True, "Yes, tomorrow.")]

    before = await pod_names(demo, name)
    assert (await alice.post(f"{path}/restart")).status_code == 200
    await until(lambda: _replaced(demo, name, before))
    assert (await in_phase(alice, path, "Connected"))["phone_number"] == f"+{PHONE}"  # the login survived

    async def phone_logs_out() -> httpx.Response | None:
        """503 while the restarted pod is not Ready yet (its phase still says Connected meanwhile)."""
        answer = await alice.post(f"/api/demo/sessions/{created['id']}/phone/logout")
        return None if answer.status_code == 503 else answer

    logout = await until(phone_logs_out)
    assert (logout.status_code, logout.json().get("status")) == (200, "FAILED"), logout.text

    assert (await alice.delete(path)).status_code == 204
    await until(lambda: _gone(demo, name))


async def _replaced(demo: RunningDemo, name: str, before: list[str]) -> bool:
    """A new pod, Ready, and none of the old ones."""
    pods = await kube_get(demo, f"/api/v1/namespaces/{demo_namespace()}/pods")
    ready = [
        p["metadata"]["name"]
        for p in pods["items"]
        if p["metadata"]["labels"].get("conectafy.io/session") == name
        and any(c["type"] == "Ready" for c in (p.get("status") or {}).get("conditions") or [])
    ]
    return bool(ready) and not set(await pod_names(demo, name)) & set(before)


async def _gone(demo: RunningDemo, name: str) -> bool:
    listing = await kube_get(demo, f"/apis/apps/v1/namespaces/{demo_namespace()}/deployments")
    deployments = [d["metadata"]["name"] for d in listing["items"]]
    return f"waha-{name}" not in deployments and not await pod_names(demo, name)


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
async def test_a_session_applied_with_kubectl_runs_and_connects(demo: RunningDemo) -> None:
    kubectl = str(KUBECTL)
    example = str(EXAMPLE)
    assert "created" in await run(demo, kubectl, "apply", "-f", example)

    async def phase() -> str:
        return str(await run(demo, kubectl, "get", "wa", "support", "-o", "jsonpath={.status.phase}"))

    await until(lambda: _is(phase, "ScanQR"))
    await run(demo, "conectafy", "phone", "scan", "support", "--phone", PHONE)
    await until(lambda: _is(phase, "Connected"))
    table = (await run(demo, kubectl, "get", "wa")).splitlines()
    assert [line.split()[:5] for line in table] == [
        ["NAME", "PHASE", "PHONE", "ENGINE", "READY"],
        ["support", "Connected", f"+{PHONE}", "GOWS", "True"],
    ]
    await run(demo, kubectl, "annotate", "wa", "support", "team=support")
    assert "unchanged" in await run(demo, kubectl, "apply", "-f", example)
    assert "Phase ScanQR → Connected" in await run(demo, kubectl, "describe", "wa", "support")
    await run(demo, kubectl, "conectafy", "restart", "support")
    await run(demo, kubectl, "delete", "wa", "support")
    assert "No resources found" in await _stderr_of_get(demo, kubectl)


async def _is(probe: Any, wanted: str) -> bool:
    return bool(await probe() == wanted)


async def _stderr_of_get(demo: RunningDemo, kubectl: str) -> str:
    process = await asyncio.create_subprocess_exec(
        kubectl, "get", "wa", env=demo.env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    return out.decode() + err.decode()


async def test_ctrl_c_stops_every_process_it_started(demo: RunningDemo, alice: httpx.AsyncClient) -> None:
    """Runs last. With a number running (so a WAHA process exists), SIGINT leaves nothing behind."""
    created = (await alice.post("/api/sessions", json={"name": "last"})).json()
    await in_phase(alice, f"/api/sessions/{created['id']}", "ScanQR")
    started = [*descendants(demo.process.pid)]
    commands = [" ".join(p.cmdline()) for p in started]
    assert [any(part in c for c in commands) for part in (" api", " operator", " waha-sim")] == [True] * 3
    postmaster = demo.postmaster_pid()

    assert stop_demo(demo) == 0
    assert [p.pid for p in started if alive(p)] == []
    assert not psutil.pid_exists(postmaster)
