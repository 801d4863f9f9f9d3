"""Value sets the chart is rendered with in tests: each is one way people install Conectafy."""

from __future__ import annotations

from typing import Any

KUBE_VERSION = "1.33.0"
SUPABASE = {
    "url": "https://abcd.supabase.co",
    "databaseUrl": "postgresql://postgres:pw@db.abcd.supabase.co:5432/postgres",
    "anonKey": "anon",
    "serviceRoleKey": "service",
    "jwtSecret": "jwt",
}
VALUE_SETS: dict[str, dict[str, Any]] = {
    "default": {},
    "external-db": {"externalDatabase": {"url": "postgresql://u:p@db.example.com:5432/conectafy"}},
    "external-db-existing-secret": {"externalDatabase": {"existingSecret": "pg", "existingSecretKey": "dsn"}},
    "supabase": {"supabase": SUPABASE},
    "supabase-existing-secret": {"supabase": {"existingSecret": "supabase-keys"}},
    "ingress": {
        "api": {
            "ingress": {
                "enabled": True,
                "className": "nginx",
                "host": "wa.example.com",
                "tls": {"enabled": True, "secretName": "wa-tls"},
            }
        }
    },
    "all-namespaces": {"operator": {"watchAllNamespaces": True}},
    "namespaces": {
        "operator": {"namespaces": ["tenant-a", "tenant-b"]},
        "api": {"sessionsNamespace": "tenant-a"},
    },
    "s3": {
        "s3": {
            "bucket": "media",
            "endpoint": "https://s3.example.com",
            "accessKeyId": "a",
            "secretAccessKey": "b",
        }
    },
    "single-operator-no-crds": {"operator": {"replicas": 1}, "crds": {"install": False}},
}
LABELS = {"app.kubernetes.io/name": "conectafy", "app.kubernetes.io/instance": "conectafy"}
