"""The WAHA Deployment of one session (pure).

WAHA is configured entirely through its environment (CONTRACT.md §7): per-session config does not
survive a restart in older images, and the environment is re-applied on every pod start.
"""

from __future__ import annotations

from typing import Any

from conectafy import labels
from conectafy.operator.identity import (
    APP_NAME,
    SessionRef,
    child_names,
    image_for,
    labels_for,
    object_meta,
    selector_for,
    webhook_url,
)
from conectafy.operator.quantity import parse_quantity
from conectafy.session import Engine, WhatsAppSessionSpec
from conectafy.settings import OperatorSettings
from conectafy.waha.status import DEFAULT_SESSION

SESSIONS_DIR = "/app/.sessions"  # WAHA_LOCAL_STORE_BASE_DIR: the WhatsApp login (PVC subPath "sessions")
MEDIA_DIR = "/app/.media"  # WHATSAPP_FILES_FOLDER: downloaded media (PVC subPath "media")
UI_USERNAME = "conectafy"  # dashboard/swagger user; both UIs are disabled, the password is in the Secret
RUN_AS = 1000  # the `node` user of WAHA's Node.js base image
CONTAINER = "waha"
DATA_VOLUME = "data"

#: Per-container sizing for one number (CONTRACT.md §2: WEBJS 0.3 CPU/400 MB, NOWEB and GOWS
#: 0.1 CPU/200 MB; NOWEB was observed at ≈254 MiB RSS). No CPU limit: throttling a Node/Go event
#: loop drops the WhatsApp connection; the memory limit keeps one number from starving a node.
PRESETS: dict[Engine, dict[str, dict[str, str]]] = {
    Engine.GOWS: {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "512Mi"}},
    Engine.NOWEB: {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "768Mi"}},
    Engine.WEBJS: {"requests": {"cpu": "300m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
}


def resources_for(spec: WhatsAppSessionSpec) -> dict[str, dict[str, str]]:
    """The engine preset with spec.resources laid over it key by key; a limit below its request
    is raised to the request (the API server would reject the Deployment otherwise)."""
    preset = PRESETS[spec.engine]
    override = spec.resources
    requests = {**preset["requests"], **((override.requests or {}) if override else {})}
    limits = {**preset["limits"], **((override.limits or {}) if override else {})}
    for key, request in requests.items():
        if key in limits and parse_quantity(limits[key]) < parse_quantity(request):
            limits[key] = request
    return {"requests": requests, "limits": limits}


def _value(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value}


def _secret(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _webhook_env(ref: SessionRef, settings: OperatorSettings, secret: str) -> list[dict[str, Any]]:
    """Global webhook env: in Core ≤2026.5 per-session webhooks are lost on restart (CONTRACT §7)."""
    url = webhook_url(ref, settings)
    if url is None:
        return []
    return [
        _value("WHATSAPP_HOOK_URL", url),
        _value("WHATSAPP_HOOK_EVENTS", ",".join(ref.spec.webhook.events)),
        _secret("WHATSAPP_HOOK_HMAC_KEY", secret, "webhook-hmac-key"),
        _value("WHATSAPP_HOOK_RETRIES_POLICY", settings.webhook_retries_policy),
        _value("WHATSAPP_HOOK_RETRIES_DELAY_SECONDS", str(settings.webhook_retries_delay_seconds)),
        _value("WHATSAPP_HOOK_RETRIES_ATTEMPTS", str(settings.webhook_retries_attempts)),
    ]


def waha_env(ref: SessionRef, settings: OperatorSettings) -> list[dict[str, Any]]:
    """WAHA's environment. The API key is given as its sha512 hash, so WAHA's
    /api/server/environment (which echoes every WAHA_* variable) never shows the usable key."""
    names = child_names(ref.name)
    in_cluster_url = f"http://{names.service}.{ref.namespace}.svc:{settings.waha_port}"
    return [
        _value("WHATSAPP_DEFAULT_ENGINE", ref.spec.engine.value),
        _value("WHATSAPP_API_PORT", str(settings.waha_port)),
        _value("WAHA_BASE_URL", in_cluster_url),  # only used to build media URLs
        _secret("WAHA_API_KEY", names.secret, "api-key-sha512"),
        _value("WAHA_DASHBOARD_ENABLED", "false"),
        _value("WAHA_DASHBOARD_USERNAME", UI_USERNAME),
        _secret("WAHA_DASHBOARD_PASSWORD", names.secret, "dashboard-password"),
        _value("WHATSAPP_SWAGGER_ENABLED", "false"),
        _value("WHATSAPP_SWAGGER_USERNAME", UI_USERNAME),
        _secret("WHATSAPP_SWAGGER_PASSWORD", names.secret, "dashboard-password"),
        *_webhook_env(ref, settings, names.secret),
        _value("WHATSAPP_START_SESSION", DEFAULT_SESSION),
        _value("WAHA_WORKER_ID", ref.name),  # stable across pods, so 2026.6+ restarts this worker's sessions
        _value("WAHA_WORKER_RESTART_SESSIONS", "True"),
        _value("WAHA_LOCAL_STORE_BASE_DIR", SESSIONS_DIR),
        _value("WHATSAPP_FILES_FOLDER", MEDIA_DIR),
        _value("WHATSAPP_FILES_LIFETIME", str(settings.files_lifetime_seconds)),
        _value("WAHA_LOG_FORMAT", "JSON"),
        _value("WAHA_PRINT_QR", "False"),
    ]


def _probe(period: int, failures: int) -> dict[str, Any]:
    """GET /ping is WAHA's only unauthenticated route."""
    return {
        "httpGet": {"path": "/ping", "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def _container(ref: SessionRef, settings: OperatorSettings) -> dict[str, Any]:
    return {
        "name": CONTAINER,
        "image": image_for(ref.spec, settings),
        "ports": [{"name": "http", "containerPort": settings.waha_port, "protocol": "TCP"}],
        "env": waha_env(ref, settings),
        "resources": resources_for(ref.spec),
        "startupProbe": _probe(period=5, failures=60),  # WEBJS starts a browser: up to 5 minutes
        "readinessProbe": _probe(period=10, failures=3),
        "livenessProbe": _probe(period=20, failures=3),
        "volumeMounts": [
            {"name": DATA_VOLUME, "mountPath": SESSIONS_DIR, "subPath": "sessions"},
            {"name": DATA_VOLUME, "mountPath": MEDIA_DIR, "subPath": "media"},
        ],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "runAsNonRoot": True,
        },
    }


def _scheduling(spec: WhatsAppSessionSpec) -> dict[str, Any]:
    scheduling = spec.scheduling
    if scheduling is None:
        return {}
    result: dict[str, Any] = {}
    if scheduling.node_selector:
        result["nodeSelector"] = dict(scheduling.node_selector)
    if scheduling.tolerations:
        result["tolerations"] = [toleration.to_k8s() for toleration in scheduling.tolerations]
    if scheduling.affinity:
        result["affinity"] = scheduling.affinity
    return result


def _pod_spec(ref: SessionRef, settings: OperatorSettings) -> dict[str, Any]:
    return {
        "automountServiceAccountToken": False,  # WAHA never talks to Kubernetes
        "enableServiceLinks": False,  # hundreds of Services would flood the environment
        "terminationGracePeriodSeconds": settings.termination_grace_period_seconds,  # WAHA may not exit
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,  # makes the PVC writable for the non-root user
            "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(ref, settings)],
        "volumes": [
            {"name": DATA_VOLUME, "persistentVolumeClaim": {"claimName": child_names(ref.name).pvc}},
        ],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {labels.APP_NAME: APP_NAME}},
            }
        ],
        **_scheduling(ref.spec),
    }


def build_deployment(ref: SessionRef, settings: OperatorSettings) -> dict[str, Any]:
    """One replica and Recreate: two pods of one number must never be logged in at once.

    The `restartedAt` annotation, and self-healing's `healedAt` (from status.podRestartedAt), are
    copied into the pod template: changing either rolls the pod. Both are part of what we apply, so
    server-side apply keeps them."""
    template_meta: dict[str, Any] = {"labels": labels_for(ref)}
    stamps = {labels.RESTARTED_AT: ref.restarted_at, labels.HEALED_AT: ref.healed_at}
    if any(stamps.values()):
        template_meta["annotations"] = {key: value for key, value in stamps.items() if value}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(ref, child_names(ref.name).deployment, guarded=True),
        "spec": {
            "replicas": 0 if ref.spec.paused else 1,
            "strategy": {"type": "Recreate"},
            "revisionHistoryLimit": 2,
            "selector": {"matchLabels": selector_for(ref)},
            "template": {"metadata": template_meta, "spec": _pod_spec(ref, settings)},
        },
    }
