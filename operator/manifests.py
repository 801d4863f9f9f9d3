"""Pure builders of a session's children: Secret, PVC, Deployment, Service (no client imports).

Other modules call everything through here; the Deployment lives in `workload`, quantities in `quantity`,
names/labels/URLs in `identity` — re-exported so callers have one import.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from conectafy.operator.identity import (
    ChildNames,
    SessionRef,
    child_names,
    guard_reference,
    image_for,
    labels_for,
    object_meta,
    owner_reference,
    selector_for,
    waha_base_url,
    webhook_url,
)
from conectafy.operator.quantity import parse_quantity
from conectafy.operator.workload import PRESETS, build_deployment, resources_for
from conectafy.session_keys import session_keys
from conectafy.settings import OperatorSettings

__all__ = [
    "API_KEY",
    "API_KEY_SHA512",
    "DASHBOARD_PASSWORD",
    "PRESETS",
    "SECRET_KEYS",
    "WEBHOOK_HMAC_KEY",
    "ChildNames",
    "SessionRef",
    "build_deployment",
    "build_pvc",
    "build_secret",
    "build_service",
    "child_names",
    "derived_secret_data",
    "generate_secret_data",
    "guard_reference",
    "image_for",
    "labels_for",
    "missing_secret_data",
    "owner_reference",
    "parse_quantity",
    "resources_for",
    "selector_for",
    "waha_base_url",
    "webhook_url",
]

# Keys of the session Secret (the Deployment's secretKeyRefs name them too).
API_KEY = "api-key"  # plain: the operator and the API send it as X-Api-Key
API_KEY_SHA512 = "api-key-sha512"  # "sha512:<hex>": what WAHA gets, so its /environment never shows the key
WEBHOOK_HMAC_KEY = "webhook-hmac-key"
DASHBOARD_PASSWORD = "dashboard-password"  # also the swagger password; both UIs are off by default
SECRET_KEYS = (API_KEY, API_KEY_SHA512, WEBHOOK_HMAC_KEY, DASHBOARD_PASSWORD)


def _api_key_hash(api_key: str) -> str:
    return "sha512:" + hashlib.sha512(api_key.encode()).hexdigest()


def generate_secret_data() -> dict[str, str]:
    """Fresh credentials for a new session — the only impure function of the builders."""
    api_key = secrets.token_urlsafe(32)
    return {
        API_KEY: api_key,
        API_KEY_SHA512: _api_key_hash(api_key),
        WEBHOOK_HMAC_KEY: secrets.token_urlsafe(48),
        DASHBOARD_PASSWORD: secrets.token_urlsafe(24),
    }


def missing_secret_data(existing: Mapping[str, str]) -> dict[str, str]:
    """The keys to add to a Secret whose decoded data is `existing`; present keys are never regenerated.

    The hash always follows the plain key: it is derived from an existing key, and replaced only
    together with a key that had to be generated (a hash without its key is useless).
    """
    fresh = generate_secret_data()
    missing = {key: value for key, value in fresh.items() if key not in existing}
    if API_KEY in existing and API_KEY_SHA512 not in existing:
        missing[API_KEY_SHA512] = _api_key_hash(existing[API_KEY])
    elif API_KEY not in existing:
        missing[API_KEY_SHA512] = fresh[API_KEY_SHA512]
    return missing


def derived_secret_data(master: str, ref: SessionRef) -> dict[str, str]:
    """The keys the API derives on its own from the shared master key (conectafy.session_keys): with a
    master key configured they replace stored ones, so the API never has to read this Secret."""
    api_key, webhook_key = session_keys(master, namespace=ref.namespace, name=ref.name)
    return {API_KEY: api_key, API_KEY_SHA512: _api_key_hash(api_key), WEBHOOK_HMAC_KEY: webhook_key}


def build_secret(ref: SessionRef, data: Mapping[str, str]) -> dict[str, Any]:
    """`data` (not `stringData`): applied fields are compared as the server stores them.

    No owner reference: the Secret guards the WAHA workload until logout (`guard_reference`), so the
    session's deletion must not cascade to it; the delete handler deletes it.
    """
    metadata = object_meta(ref, child_names(ref.name).secret)
    del metadata["ownerReferences"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        "data": {key: base64.b64encode(value.encode()).decode() for key, value in sorted(data.items())},
    }


def build_pvc(ref: SessionRef, settings: OperatorSettings) -> dict[str, Any]:
    """The WhatsApp login lives here, so a pod rescheduled elsewhere stays logged in.

    With `retainOnDelete` the claim has no owner reference: garbage collection must not take it.
    """
    del settings  # same signature as the other builders; nothing in the claim comes from settings
    metadata = object_meta(ref, child_names(ref.name).pvc)
    if ref.spec.storage.retain_on_delete:
        del metadata["ownerReferences"]
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": ref.spec.storage.size}},
    }
    if ref.spec.storage.storage_class_name:
        spec["storageClassName"] = ref.spec.storage.storage_class_name
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}


def build_service(ref: SessionRef, settings: OperatorSettings) -> dict[str, Any]:
    """A stable in-cluster address for the operator, the API and WAHA's own media URLs."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(ref, child_names(ref.name).service, guarded=True),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_for(ref),
            "ports": [{"name": "http", "port": settings.waha_port, "targetPort": "http", "protocol": "TCP"}],
        },
    }
