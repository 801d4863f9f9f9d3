"""Pure builders of a session's children, validated against the Kubernetes schemas."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest

from conectafy.kube import decode_secret
from conectafy.operator.manifests import (
    PRESETS,
    SECRET_KEYS,
    SessionRef,
    build_deployment,
    build_pvc,
    build_secret,
    build_service,
    child_names,
    generate_secret_data,
    guard_reference,
    image_for,
    labels_for,
    missing_secret_data,
    owner_reference,
    selector_for,
    waha_base_url,
    webhook_url,
)
from conectafy.session import Engine, WhatsAppSessionSpec
from conectafy.settings import OperatorSettings

K8S_VERSION = "1.33"
SETTINGS = OperatorSettings(
    waha_image_repository="devlikeapro/waha",
    waha_version="2026.8.2",
    waha_port=3000,
    waha_url_template="http://{service}.{namespace}.svc:{port}",
    webhook_url_template="http://conectafy-api.{namespace}.svc:8000/webhooks/waha/{name}",
    webhook_retries_policy="exponential",
    webhook_retries_delay_seconds=2,
    webhook_retries_attempts=10,
    termination_grace_period_seconds=20,
    files_lifetime_seconds=0,
)
OWNER_REF = {
    "apiVersion": "conectafy.io/v1alpha1",
    "kind": "WhatsAppSession",
    "name": "support",
    "uid": "6a1f0c3e-0000-4000-8000-000000000001",
    "controller": True,
    "blockOwnerDeletion": True,
}
LABELS = {
    "app.kubernetes.io/name": "waha",
    "app.kubernetes.io/instance": "support",
    "app.kubernetes.io/component": "whatsapp-session",
    "app.kubernetes.io/part-of": "conectafy",
    "app.kubernetes.io/managed-by": "conectafy-operator",
    "conectafy.io/session": "support",
}
METADATA = {"name": "waha-support", "namespace": "tenant-a", "labels": LABELS, "ownerReferences": [OWNER_REF]}


def make_ref(spec: dict[str, Any] | None = None, **fields: Any) -> SessionRef:
    return SessionRef(
        name="support",
        namespace="tenant-a",
        uid=OWNER_REF["uid"],
        generation=1,
        spec=WhatsAppSessionSpec.model_validate(spec or {}),
        **fields,
    )


def container(ref: SessionRef, settings: OperatorSettings = SETTINGS) -> dict[str, Any]:
    (only,) = build_deployment(ref, settings)["spec"]["template"]["spec"]["containers"]
    return only  # type: ignore[no-any-return]


REFS = {
    "defaults": make_ref(),
    "everything": make_ref(
        {
            "engine": "WEBJS",
            "paused": True,
            "owner": "acme-admin",
            "image": "registry.local/waha:dev",
            "storage": {"size": "5Gi", "storageClassName": "fast", "retainOnDelete": True},
            "resources": {"requests": {"cpu": 1, "memory": "1Gi"}, "limits": {"cpu": "2"}},
            "scheduling": {
                "nodeSelector": {"pool": "whatsapp"},
                "tolerations": [
                    {"key": "dedicated", "operator": "Equal", "value": "wa", "effect": "NoSchedule"}
                ],
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                            ]
                        }
                    }
                },
            },
        },
        restarted_at="2026-11-28T10:00:00Z",
        owner_label="acme-admin",
    ),
}
BUILDERS: dict[str, Callable[[SessionRef], dict[str, Any]]] = {
    "secret": lambda ref: build_secret(ref, generate_secret_data()),
    "pvc": lambda ref: build_pvc(ref, SETTINGS),
    "deployment": lambda ref: build_deployment(ref, SETTINGS),
    "service": lambda ref: build_service(ref, SETTINGS),
}


@pytest.mark.parametrize("ref", REFS.values(), ids=REFS.keys())
@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_builders_produce_valid_kubernetes_objects(
    build: Callable[[SessionRef], dict[str, Any]], ref: SessionRef
) -> None:
    kubernetes_validate.validate(build(ref), K8S_VERSION, strict=True)


def test_child_names() -> None:
    assert child_names("support").__dict__ == dict.fromkeys(
        ("secret", "pvc", "deployment", "service"), "waha-support"
    )


def test_longest_session_name_gives_dns_label_children() -> None:
    assert {len(name) for name in child_names("a" * 52).__dict__.values()} == {57}


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (make_ref(), LABELS),
        (make_ref({"owner": "u1"}), {**LABELS, "conectafy.io/owner": "u1"}),
        (make_ref(owner_label="u2"), {**LABELS, "conectafy.io/owner": "u2"}),
    ],
)
def test_labels(ref: SessionRef, expected: dict[str, str]) -> None:
    assert labels_for(ref) == expected


def test_selector_is_a_stable_subset_of_the_labels() -> None:
    ref = make_ref({"owner": "u1"})
    assert selector_for(ref) == {"app.kubernetes.io/name": "waha", "conectafy.io/session": "support"}
    assert (
        selector_for(ref).items()
        <= build_deployment(ref, SETTINGS)["spec"]["template"]["metadata"]["labels"].items()
    )


def test_owner_reference() -> None:
    assert owner_reference(make_ref()) == OWNER_REF


GUARD_REF = {"apiVersion": "v1", "kind": "Secret", "name": "waha-support", "uid": "secret-uid"}


@pytest.mark.parametrize("kind", ["deployment", "service"])
def test_workload_is_also_owned_by_the_secret_once_it_exists(kind: str) -> None:
    """A second owner outside the session's tree: foreground deletion must not take WAHA before logout."""
    ref = make_ref(secret_uid="secret-uid")
    owners = BUILDERS[kind](ref)["metadata"]["ownerReferences"]
    assert (owners, guard_reference(ref)) == ([OWNER_REF, GUARD_REF], GUARD_REF)


@pytest.mark.parametrize("kind", ["secret", "pvc"])
def test_only_the_workload_is_guarded(kind: str) -> None:
    metadata = BUILDERS[kind](make_ref(secret_uid="secret-uid"))["metadata"]
    assert metadata.get("ownerReferences") == ([OWNER_REF] if kind == "pvc" else None)


def test_generated_secret_data() -> None:
    data = generate_secret_data()
    assert (sorted(data), data["api-key-sha512"]) == (
        sorted(SECRET_KEYS),
        "sha512:" + hashlib.sha512(data["api-key"].encode()).hexdigest(),
    )
    assert len(set(data.values())) == 4 and min(len(value) for value in data.values()) >= 32


def test_generated_secrets_differ_each_time() -> None:
    assert generate_secret_data()["api-key"] != generate_secret_data()["api-key"]


def test_secret_holds_the_data_base64_encoded() -> None:
    data = {"api-key": "k", "webhook-hmac-key": "h\u00e9"}
    secret = build_secret(make_ref(), data)
    assert {key: value for key, value in secret.items() if key != "data"} == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "waha-support", "namespace": "tenant-a", "labels": LABELS},  # no owner
    }
    encoded = {"api-key": "aw==", "webhook-hmac-key": "aMOp"}
    assert (secret["data"], decode_secret(secret)) == (encoded, data)


def _sha(key: str) -> str:
    return "sha512:" + hashlib.sha512(key.encode()).hexdigest()


@pytest.mark.parametrize(
    ("existing", "added_keys"),
    [
        ({}, set(SECRET_KEYS)),
        (
            {"api-key": "k", "api-key-sha512": _sha("k"), "webhook-hmac-key": "h", "dashboard-password": "p"},
            set(),
        ),
        ({"api-key": "k"}, {"api-key-sha512", "webhook-hmac-key", "dashboard-password"}),
        (
            {"api-key-sha512": "sha512:stale", "webhook-hmac-key": "h", "dashboard-password": "p"},
            {"api-key", "api-key-sha512"},
        ),
    ],
)
def test_missing_secret_data_adds_only_absent_keys(existing: dict[str, str], added_keys: set[str]) -> None:
    added = missing_secret_data(existing)
    merged = {**existing, **added}
    assert (set(added), merged["api-key-sha512"]) == (added_keys, _sha(merged["api-key"]))


def test_missing_secret_data_derives_the_hash_of_an_existing_key() -> None:
    assert missing_secret_data({"api-key": "k", "webhook-hmac-key": "h", "dashboard-password": "p"}) == {
        "api-key-sha512": _sha("k"),
    }


def test_pvc() -> None:
    assert build_pvc(make_ref(), SETTINGS) == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": METADATA,
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


def test_retained_pvc_has_no_owner_so_garbage_collection_keeps_it() -> None:
    ref = make_ref({"storage": {"size": "5Gi", "storageClassName": "fast", "retainOnDelete": True}})
    assert build_pvc(ref, SETTINGS) == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "waha-support", "namespace": "tenant-a", "labels": LABELS},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "5Gi"}},
            "storageClassName": "fast",
        },
    }


def test_service() -> None:
    assert build_service(make_ref(), SETTINGS) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": METADATA,
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": "waha", "conectafy.io/session": "support"},
            "ports": [{"name": "http", "port": 3000, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _secret_env(name: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": "waha-support", "key": key}}}


EXPECTED_ENV = [
    {"name": "WHATSAPP_DEFAULT_ENGINE", "value": "GOWS"},
    {"name": "WHATSAPP_API_PORT", "value": "3000"},
    {"name": "WAHA_BASE_URL", "value": "http://waha-support.tenant-a.svc:3000"},
    _secret_env("WAHA_API_KEY", "api-key-sha512"),
    {"name": "WAHA_DASHBOARD_ENABLED", "value": "false"},
    {"name": "WAHA_DASHBOARD_USERNAME", "value": "conectafy"},
    _secret_env("WAHA_DASHBOARD_PASSWORD", "dashboard-password"),
    {"name": "WHATSAPP_SWAGGER_ENABLED", "value": "false"},
    {"name": "WHATSAPP_SWAGGER_USERNAME", "value": "conectafy"},
    _secret_env("WHATSAPP_SWAGGER_PASSWORD", "dashboard-password"),
    {"name": "WHATSAPP_HOOK_URL", "value": "http://conectafy-api.tenant-a.svc:8000/webhooks/waha/support"},
    {
        "name": "WHATSAPP_HOOK_EVENTS",
        "value": "session.status,message.any,message.ack,message.reaction,message.revoked",
    },
    _secret_env("WHATSAPP_HOOK_HMAC_KEY", "webhook-hmac-key"),
    {"name": "WHATSAPP_HOOK_RETRIES_POLICY", "value": "exponential"},
    {"name": "WHATSAPP_HOOK_RETRIES_DELAY_SECONDS", "value": "2"},
    {"name": "WHATSAPP_HOOK_RETRIES_ATTEMPTS", "value": "10"},
    {"name": "WHATSAPP_START_SESSION", "value": "default"},
    {"name": "WAHA_WORKER_ID", "value": "support"},
    {"name": "WAHA_WORKER_RESTART_SESSIONS", "value": "True"},
    {"name": "WAHA_LOCAL_STORE_BASE_DIR", "value": "/app/.sessions"},
    {"name": "WHATSAPP_FILES_FOLDER", "value": "/app/.media"},
    {"name": "WHATSAPP_FILES_LIFETIME", "value": "0"},
    {"name": "WAHA_LOG_FORMAT", "value": "JSON"},
    {"name": "WAHA_PRINT_QR", "value": "False"},
]


def test_waha_environment() -> None:
    assert container(make_ref())["env"] == EXPECTED_ENV


def test_no_webhook_environment_when_webhooks_are_off() -> None:
    env = container(make_ref(), SETTINGS.model_copy(update={"webhook_url_template": ""}))["env"]
    assert env == [item for item in EXPECTED_ENV if not item["name"].startswith("WHATSAPP_HOOK_")]


def test_secret_refs_name_keys_the_secret_has() -> None:
    refs = [item["valueFrom"]["secretKeyRef"] for item in container(make_ref())["env"] if "valueFrom" in item]
    assert {(ref["name"], ref["key"] in SECRET_KEYS) for ref in refs} == {("waha-support", True)}


def test_probes_use_ping() -> None:
    main = container(make_ref())
    ping = {"httpGet": {"path": "/ping", "port": "http"}, "timeoutSeconds": 5}
    assert (main["startupProbe"], main["readinessProbe"], main["livenessProbe"]) == (
        {**ping, "periodSeconds": 5, "failureThreshold": 60},
        {**ping, "periodSeconds": 10, "failureThreshold": 3},
        {**ping, "periodSeconds": 20, "failureThreshold": 3},
    )


def test_deployment_shape() -> None:
    deployment = build_deployment(make_ref(), SETTINGS)
    spec = deployment["spec"]
    assert (
        deployment["metadata"],
        spec["replicas"],
        spec["strategy"],
        spec["revisionHistoryLimit"],
        spec["selector"],
        spec["template"]["metadata"],
    ) == (
        METADATA,
        1,
        {"type": "Recreate"},
        2,
        {"matchLabels": {"app.kubernetes.io/name": "waha", "conectafy.io/session": "support"}},
        {"labels": LABELS},
    )


def test_pod_spec_hardening_and_spread() -> None:
    pod = build_deployment(make_ref(), SETTINGS)["spec"]["template"]["spec"]
    assert {key: value for key, value in pod.items() if key not in ("containers",)} == {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 20,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "fsGroup": 1000,
            "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "waha-support"}}],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "waha"}},
            }
        ],
    }


def test_container_security_ports_and_mounts() -> None:
    main = container(make_ref())
    assert (main["name"], main["ports"], main["volumeMounts"], main["securityContext"]) == (
        "waha",
        [{"name": "http", "containerPort": 3000, "protocol": "TCP"}],
        [
            {"name": "data", "mountPath": "/app/.sessions", "subPath": "sessions"},
            {"name": "data", "mountPath": "/app/.media", "subPath": "media"},
        ],
        {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "runAsNonRoot": True,
        },
    )


@pytest.mark.parametrize(("paused", "replicas"), [(False, 1), (True, 0)])
def test_paused_scales_to_zero(paused: bool, replicas: int) -> None:
    assert build_deployment(make_ref({"paused": paused}), SETTINGS)["spec"]["replicas"] == replicas


def test_restarted_at_goes_into_the_pod_template() -> None:
    template = build_deployment(make_ref(restarted_at="2026-11-28T10:00:00Z"), SETTINGS)["spec"]["template"]
    assert template["metadata"] == {
        "labels": LABELS,
        "annotations": {"conectafy.io/restartedAt": "2026-11-28T10:00:00Z"},
    }


@pytest.mark.parametrize(
    ("engine", "image", "resources"),
    [
        (
            "GOWS",
            "devlikeapro/waha:gows-2026.8.2",
            {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "512Mi"}},
        ),
        (
            "NOWEB",
            "devlikeapro/waha:noweb-2026.8.2",
            {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "768Mi"}},
        ),
        (
            "WEBJS",
            "devlikeapro/waha:latest-2026.8.2",
            {"requests": {"cpu": "300m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
        ),
    ],
)
def test_engine_picks_image_and_preset(engine: str, image: str, resources: dict[str, Any]) -> None:
    main = container(make_ref({"engine": engine}))
    assert (main["image"], main["resources"], PRESETS[Engine(engine)]) == (image, resources, resources)


def test_image_override() -> None:
    spec = WhatsAppSessionSpec(engine=Engine.NOWEB, image="registry.local/waha:pinned")
    assert image_for(spec, SETTINGS) == "registry.local/waha:pinned"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            {"requests": {"cpu": "250m"}},
            {"requests": {"cpu": "250m", "memory": "200Mi"}, "limits": {"memory": "512Mi"}},
        ),
        (
            {"limits": {"memory": "1Gi", "cpu": 2}},
            {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "1Gi", "cpu": "2"}},
        ),
        (
            {"requests": {"memory": "1Gi"}},  # above the preset's limit: the limit follows the request
            {"requests": {"cpu": "100m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
        ),
    ],
)
def test_resources_override_the_preset_key_by_key(override: dict[str, Any], expected: dict[str, Any]) -> None:
    assert container(make_ref({"resources": override}))["resources"] == expected


def test_scheduling_is_copied_to_the_pod() -> None:
    pod = build_deployment(REFS["everything"], SETTINGS)["spec"]["template"]["spec"]
    assert (pod["nodeSelector"], pod["tolerations"], pod["affinity"]) == (
        {"pool": "whatsapp"},
        [{"key": "dedicated", "operator": "Equal", "value": "wa", "effect": "NoSchedule"}],
        {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                    ]
                }
            }
        },
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("http://{service}.{namespace}.svc:{port}", "http://waha-support.tenant-a.svc:3000"),
        ("http://127.0.0.1:{port}", "http://127.0.0.1:3000"),
        ("http://localhost:8080/{namespace}/{name}", "http://localhost:8080/tenant-a/support"),
    ],
)
def test_waha_base_url(template: str, expected: str) -> None:
    assert waha_base_url(make_ref(), SETTINGS.model_copy(update={"waha_url_template": template})) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "http://conectafy-api.{namespace}.svc:8000/webhooks/waha/{name}",
            "http://conectafy-api.tenant-a.svc:8000/webhooks/waha/support",
        ),
        ("", None),
    ],
)
def test_webhook_url(template: str, expected: str | None) -> None:
    assert webhook_url(make_ref(), SETTINGS.model_copy(update={"webhook_url_template": template})) == expected
