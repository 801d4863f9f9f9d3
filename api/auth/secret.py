"""The built-in mode's signing secret: configured, or generated once and kept in data_dir.

Several API replicas must share it: set CONECTAFY_JWT_SECRET (the Helm chart does) or share data_dir.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from conectafy.settings import ApiSettings

SECRET_FILE = "jwt_secret"


def resolve_jwt_secret(settings: ApiSettings) -> str:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    path = settings.data_dir.expanduser() / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(48))
    return _read(path)


def _read(path: Path) -> str:
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise RuntimeError(f"{path} holds a JWT secret shorter than 32 characters; delete it to regenerate")
    return secret
