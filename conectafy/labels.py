"""Every label and annotation key Conectafy uses, defined once (docs/reference.md lists them)."""

DOMAIN = "conectafy.io"

# Labels on a WhatsAppSession and on every child object of it.
SESSION = f"{DOMAIN}/session"  # the WhatsAppSession's name
OWNER = f"{DOMAIN}/owner"  # the owning user's id (set by the API; copied onto children)
APP_NAME = "app.kubernetes.io/name"
APP_INSTANCE = "app.kubernetes.io/instance"
APP_COMPONENT = "app.kubernetes.io/component"
APP_PART_OF = "app.kubernetes.io/part-of"
APP_MANAGED_BY = "app.kubernetes.io/managed-by"
APP_VERSION = "app.kubernetes.io/version"

# Annotations on a WhatsAppSession.
RESTARTED_AT = f"{DOMAIN}/restartedAt"  # set by a user/CLI/API: roll the WAHA pod
WAHA_STATUS_HINT = f"{DOMAIN}/wahaStatus"  # set by the API from a webhook: "re-read WAHA now"
WAHA_STATUS_HINT_AT = f"{DOMAIN}/wahaStatusAt"  # when the API saw that webhook (RFC 3339)

# The operator's finalizer on every WhatsAppSession (kopf's prefix must differ from DOMAIN: kopf ignores
# every annotation under its own prefix). `kubectl conectafy release-finalizers` removes only this one.
FINALIZER = f"kopf.{DOMAIN}/finalizer"
# An annotation on a WAHA pod template, set by self-healing: changing it rolls a zombie pod.
HEALED_AT = f"{DOMAIN}/healedAt"
