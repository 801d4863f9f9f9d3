"""What `conectafy demo` prints once everything is up: what is real, what is simulated, where to go."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conectafy.demo.run import Demo
    from conectafy.demo.seed import Seeded


def banner(demo: Demo, host: str, seeded: Seeded | None = None) -> str:
    """Plain text; every URL and command in it works as printed."""
    pids = {child.name: child.pid for child in demo.children}
    shown = demo.api_url if host == "127.0.0.1" else f"{demo.api_url} (listening on {host})"
    lines = [
        "",
        "Conectafy demo — running. This is a DEMO: WhatsApp is simulated.",
        "",
        "Real (the code that runs in production):",
        f"  operator     conectafy operator, pid {pids['operator']}",
        f"  API          conectafy api, pid {pids['api']}   {demo.api_url}/api",
        f"  dashboard    {shown}",
        f"  PostgreSQL   embedded, data in {demo.data_dir / 'postgres'}",
        "Simulated:",
        f"  Kubernetes   an in-process API server (kmock) at {demo.kube_url}, a demo kubelet",
        "  WAHA         `conectafy waha-sim`, one process per session (the pod)",
        "  WhatsApp     the phone: the dashboard's phone panel, or `conectafy phone …`",
        "",
        "Try it:",
        f"  export KUBECONFIG={demo.kubeconfig}",
        "  kubectl get wa",
        "  kubectl apply -f examples/session.yaml",
        "  kubectl conectafy qr support          # draws the QR; in another terminal:",
        "  conectafy phone scan support",
        "  conectafy phone message support --from 15550002222 --text 'Hello!'",
        "  kubectl conectafy logs support",
        "  kubectl conectafy restart support",
    ]
    if seeded is not None:
        lines += [
            "",
            f"Seeded: sign in as {seeded.email} / {seeded.password}",
            f"  numbers: {', '.join(seeded.sessions)}",
        ]
    lines += ["", f"Logs: {demo.data_dir / 'logs'}", "Ctrl-C stops everything.", ""]
    return "\n".join(lines)
