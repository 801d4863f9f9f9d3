"""Kubernetes failures as one hierarchy, translated from kr8s/httpx in exactly one place::

KubeError                  any failure talking to the API server (`status`: the HTTP status)
├── KubeUnavailable        not reachable / timed out / 5xx: retry later
├── NotFound               404 on a named object
├── Conflict               409 (create of a taken name, or an optimistic-lock conflict)
└── Invalid                422: the API server (schema, CEL rule, immutable field) rejected it
"""

from __future__ import annotations

import httpx
import kr8s


class KubeError(Exception):
    """A Kubernetes call failed; the message says what and where, `status` is the HTTP status if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KubeUnavailable(KubeError):
    pass


class NotFound(KubeError):
    pass


class Conflict(KubeError):
    pass


class Invalid(KubeError):
    pass


_BY_STATUS: dict[int, type[KubeError]] = {404: NotFound, 409: Conflict, 422: Invalid}

#: What a kr8s call can raise besides its ServerError: transport failures and unparsable answers.
FAILURES = (kr8s.ServerError, kr8s.APITimeoutError, httpx.HTTPError, OSError, ValueError, KeyError)


def translate(error: BaseException) -> KubeError:
    """The one mapping from a client failure to a KubeError."""
    if isinstance(error, KubeError):
        return error
    if isinstance(error, kr8s.ServerError) and error.response is not None:
        status = error.response.status_code
        kind = _BY_STATUS.get(status, KubeUnavailable if status >= 500 else KubeError)
        return kind(str(error), status)
    return KubeUnavailable(f"{error.__class__.__name__}: {error}")
