"""How the chart wires the processes: operator arguments and settings, API settings, database, ingress."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from tests.helm.cases import VALUE_SETS
from tests.support.helm import container_env, find, render_manifests

METRICS = "--metrics=http://0.0.0.0:9090/metrics"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        (
            "default",
            [
                "operator",
                "--namespace=conectafy",
                "--peering=conectafy",
                "--liveness=http://0.0.0.0:8080/healthz",
                METRICS,
            ],
        ),
        (
            "all-namespaces",
            [
                "operator",
                "--all-namespaces",
                "--peering=conectafy",
                "--liveness=http://0.0.0.0:8080/healthz",
                METRICS,
            ],
        ),
        (
            "namespaces",
            [
                "operator",
                "--namespace=tenant-a",
                "--namespace=tenant-b",
                "--peering=conectafy",
                "--liveness=http://0.0.0.0:8080/healthz",
                METRICS,
            ],
        ),
        (
            "single-operator-no-crds",
            [
                "operator",
                "--namespace=conectafy",
                "--standalone",
                "--liveness=http://0.0.0.0:8080/healthz",
                METRICS,
            ],
        ),
    ],
)
def test_operator_arguments(name: str, args: list[str]) -> None:
    deployment = find(render_manifests(VALUE_SETS[name]), "Deployment", "conectafy-operator")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"] == args


def test_operator_settings_point_webhooks_at_the_api_service() -> None:
    deployment = find(render_manifests(), "Deployment", "conectafy-operator")
    assert container_env(deployment) == {
        **SESSION_KEYS,
        "POD_ID": {"fieldRef": {"fieldPath": "metadata.name"}},
        "CONECTAFY_WAHA_IMAGE_REPOSITORY": "devlikeapro/waha",
        "CONECTAFY_WAHA_VERSION": "2026.8.2",
        "CONECTAFY_LOG_FORMAT": "json",
        "CONECTAFY_WEBHOOK_URL_TEMPLATE": "http://conectafy-api.conectafy.svc:8000/webhooks/waha/{namespace}/{name}",
    }


def _secret_ref(name: str, key: str) -> dict[str, Any]:
    return {"secretKeyRef": {"name": name, "key": key}}


def _api_env(name: str) -> dict[str, Any]:
    return container_env(find(render_manifests(VALUE_SETS[name]), "Deployment", "conectafy-api"), "api")


#: The operator and the API derive the sessions' keys from one master key (the API reads no Secret).
SESSION_KEYS = {"CONECTAFY_SESSION_KEY_MASTER": _secret_ref("conectafy-session-keys", "master")}
BASE_API_ENV = {
    "CONECTAFY_HOST": "0.0.0.0",
    "CONECTAFY_PORT": "8000",
    "CONECTAFY_NAMESPACE": "conectafy",
    "CONECTAFY_DATA_DIR": "/tmp/conectafy",
    **SESSION_KEYS,
}
JWT = {"CONECTAFY_JWT_SECRET": _secret_ref("conectafy-api", "jwtSecret")}


@pytest.mark.parametrize(
    ("name", "env"),
    [
        (
            "default",
            {**BASE_API_ENV, **JWT, "CONECTAFY_DATABASE_URL": _secret_ref("conectafy-postgresql", "url")},
        ),
        (
            "external-db",
            {**BASE_API_ENV, **JWT, "CONECTAFY_DATABASE_URL": _secret_ref("conectafy-database", "url")},
        ),
        (
            "external-db-existing-secret",
            {**BASE_API_ENV, **JWT, "CONECTAFY_DATABASE_URL": _secret_ref("pg", "dsn")},
        ),
        (
            "supabase",
            {
                **BASE_API_ENV,
                "CONECTAFY_DATABASE_URL": _secret_ref("conectafy-supabase", "databaseUrl"),
                "CONECTAFY_SUPABASE_URL": _secret_ref("conectafy-supabase", "url"),
                "CONECTAFY_SUPABASE_ANON_KEY": _secret_ref("conectafy-supabase", "anonKey"),
                "CONECTAFY_SUPABASE_SERVICE_KEY": _secret_ref("conectafy-supabase", "serviceRoleKey"),
                "CONECTAFY_SUPABASE_JWT_SECRET": _secret_ref("conectafy-supabase", "jwtSecret"),
            },
        ),
        (
            "s3",
            {
                **BASE_API_ENV,
                **JWT,
                "CONECTAFY_DATABASE_URL": _secret_ref("conectafy-postgresql", "url"),
                "CONECTAFY_S3_ENDPOINT": "https://s3.example.com",
                "CONECTAFY_S3_REGION": "us-east-1",
                "CONECTAFY_S3_BUCKET": "media",
                "CONECTAFY_S3_ACCESS_KEY_ID": _secret_ref("conectafy-s3", "accessKeyId"),
                "CONECTAFY_S3_SECRET_ACCESS_KEY": _secret_ref("conectafy-s3", "secretAccessKey"),
            },
        ),
    ],
)
def test_api_settings_come_from_the_right_secrets(name: str, env: dict[str, Any]) -> None:
    assert _api_env(name) == env


def test_migrations_run_in_an_init_container_before_the_api() -> None:
    pod = find(render_manifests(), "Deployment", "conectafy-api")["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    assert (init["name"], init["args"], init["image"]) == (
        "migrate",
        ["migrate"],
        pod["containers"][0]["image"],
    )
    assert init["env"] == [
        e for e in pod["containers"][0]["env"] if e["name"] not in {"CONECTAFY_HOST", "CONECTAFY_PORT"}
    ]


@pytest.mark.parametrize(
    "name", ["external-db", "external-db-existing-secret", "supabase", "supabase-existing-secret"]
)
def test_bundled_postgresql_only_without_another_database(name: str) -> None:
    components = {
        m["metadata"]["labels"].get("app.kubernetes.io/component")
        for m in render_manifests(VALUE_SETS[name])
        if "labels" in m["metadata"]
    }
    assert "postgresql" not in components


def test_bundled_postgresql_password_is_generated_and_in_the_url() -> None:
    secret = find(render_manifests(), "Secret", "conectafy-postgresql")
    password = base64.b64decode(secret["data"]["password"]).decode()
    assert re.fullmatch(r"[A-Za-z0-9]{32}", password)
    assert base64.b64decode(secret["data"]["url"]).decode() == (
        f"postgresql://conectafy:{password}@conectafy-postgresql:5432/conectafy"
    )


def test_ingress_routes_the_host_to_the_api_service() -> None:
    ingress = find(render_manifests(VALUE_SETS["ingress"]), "Ingress", "conectafy-api")
    assert ingress["spec"] == {
        "ingressClassName": "nginx",
        "tls": [{"hosts": ["wa.example.com"], "secretName": "wa-tls"}],
        "rules": [
            {
                "host": "wa.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "conectafy-api", "port": {"name": "http"}}},
                        }
                    ]
                },
            }
        ],
    }
