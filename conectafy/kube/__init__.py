"""The project's one Kubernetes access layer (API, CLI and operator all go through it).

- `client`: the shared kr8s client, its in-flight bound, resources, the Secret decoder;
- `errors`: the one error hierarchy and translation;
- `sessions`: WhatsAppSessions and session Secrets of a namespace (API, CLI);
- `workloads`: pods, logs, children and the WAHA service proxy (CLI);
- `children`: server-side apply of a session's children (operator).
"""

from conectafy.kube.client import KubeClient, Resource, decode_secret
from conectafy.kube.errors import Conflict, Invalid, KubeError, KubeUnavailable, NotFound, translate
from conectafy.kube.sessions import Kube, WatchEvent

__all__ = [
    "Conflict",
    "Invalid",
    "Kube",
    "KubeClient",
    "KubeError",
    "KubeUnavailable",
    "NotFound",
    "Resource",
    "WatchEvent",
    "decode_secret",
    "translate",
]
