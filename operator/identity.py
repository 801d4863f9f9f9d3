"""Who a session's children are: names, labels, owner reference, image and URLs (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conectafy import labels
from conectafy.session import API_VERSION, KIND, Engine, WhatsAppSessionSpec
from conectafy.settings import OperatorSettings

APP_NAME = "waha"
PART_OF = "conectafy"
MANAGED_BY = "conectafy-operator"
COMPONENT = "whatsapp-session"
CHILD_PREFIX = "waha-"

#: WAHA's image tag prefix per engine (`devlikeapro/waha:{browser}-{version}`): WEBJS needs the
#: browser build (`latest` ships Chromium); NOWEB and GOWS have slim browser-less builds.
_TAG_PREFIX: dict[Engine, str] = {Engine.WEBJS: "latest", Engine.NOWEB: "noweb", Engine.GOWS: "gows"}


@dataclass(frozen=True)
class SessionRef:
    """Everything a builder needs, taken from the resource, so builders never see raw kopf bodies."""

    name: str
    namespace: str
    uid: str
    generation: int
    spec: WhatsAppSessionSpec
    restarted_at: str | None = None  # annotation conectafy.io/restartedAt
    owner_label: str | None = None  # label conectafy.io/owner
    secret_uid: str | None = None  # the session Secret's uid once it exists (see `guard_reference`)
    healed_at: str | None = None  # status.podRestartedAt: self-healing rolled the pod (conectafy.io/healedAt)


@dataclass(frozen=True)
class ChildNames:
    secret: str
    pvc: str
    deployment: str
    service: str


def child_names(name: str) -> ChildNames:
    """One predictable name for all children; session names are ≤52 chars so `waha-<name>` fits 63."""
    child = f"{CHILD_PREFIX}{name}"
    return ChildNames(secret=child, pvc=child, deployment=child, service=child)


def labels_for(ref: SessionRef) -> dict[str, str]:
    """The standard app.kubernetes.io labels plus ours, so `kubectl get -l` finds a number's objects."""
    result = {
        labels.APP_NAME: APP_NAME,
        labels.APP_INSTANCE: ref.name,
        labels.APP_COMPONENT: COMPONENT,
        labels.APP_PART_OF: PART_OF,
        labels.APP_MANAGED_BY: MANAGED_BY,
        labels.SESSION: ref.name,
    }
    owner = ref.owner_label or ref.spec.owner
    if owner:
        result[labels.OWNER] = owner
    return result


def selector_for(ref: SessionRef) -> dict[str, str]:
    """A Deployment selector is immutable: only labels that can never change for a session."""
    return {labels.APP_NAME: APP_NAME, labels.SESSION: ref.name}


def owner_reference(ref: SessionRef) -> dict[str, Any]:
    """Children are garbage-collected with the session; blockOwnerDeletion orders foreground deletes."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": ref.name,
        "uid": ref.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def guard_reference(ref: SessionRef) -> dict[str, Any]:
    """The session Secret as a second owner of the Deployment and the Service: it keeps WAHA running
    until the delete handler has logged the phone out, even under `kubectl delete --cascade=foreground`.

    Foreground deletion makes the garbage collector delete every dependent of the session at once, before
    any finalizer has run. A dependent that also has an owner outside the session's tree (the Secret is
    not owned by the session) is not deleted: the collector only drops the session's reference from it.
    The delete handler deletes the Secret after the logout, and the collector then takes the rest.
    """
    return {"apiVersion": "v1", "kind": "Secret", "name": child_names(ref.name).secret, "uid": ref.secret_uid}


def object_meta(ref: SessionRef, name: str, *, guarded: bool = False) -> dict[str, Any]:
    """Metadata every child shares: name, namespace, labels, owner reference(s)."""
    owners = [owner_reference(ref)]
    if guarded and ref.secret_uid:
        owners.append(guard_reference(ref))
    return {"name": name, "namespace": ref.namespace, "labels": labels_for(ref), "ownerReferences": owners}


def image_for(spec: WhatsAppSessionSpec, settings: OperatorSettings) -> str:
    """spec.image wins; otherwise the pinned WAHA release built for the session's engine."""
    if spec.image:
        return spec.image
    return f"{settings.waha_image_repository}:{_TAG_PREFIX[spec.engine]}-{settings.waha_version}"


def waha_base_url(ref: SessionRef, settings: OperatorSettings) -> str:
    """How the operator reaches this session's WAHA (in-cluster DNS by default, a port-forward in dev)."""
    return settings.waha_url_template.format(
        name=ref.name,
        namespace=ref.namespace,
        service=child_names(ref.name).service,
        port=settings.waha_port,
    )


def webhook_url(ref: SessionRef, settings: OperatorSettings) -> str | None:
    """Where WAHA posts events for this session; None when webhooks are switched off."""
    if not settings.webhook_url_template:
        return None
    return settings.webhook_url_template.format(name=ref.name, namespace=ref.namespace)
