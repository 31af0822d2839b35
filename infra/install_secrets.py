"""Per-install secrets under VAR_DIR: the Django secret key and the /metrics bearer token.

`make run` (manage.py's hook for `run_platform`) creates them on first start and keeps them
afterwards; settings read them (env first). Nothing here imports Django: it runs before the
settings, which refuse to start without a secret.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_KEY_FILE = "secret-key"  # noqa: S105 - a file name
METRICS_TOKEN_FILE = "metrics-token"  # noqa: S105 - a file name


def var_dir() -> Path:
    """VAR_DIR as settings resolve it."""
    return Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var"))


def read_secret(path: Path) -> str:
    """The file's secret, or "" when it is missing or empty."""
    try:
        return path.read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return ""


def _ensure(path: Path, make: int) -> str:
    existing = read_secret(path)
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(make)
    # O_EXCL: two first starts at once keep one secret; 0600: only this user reads it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret(path)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    return value


def install(directory: Path | None = None) -> tuple[Path, Path]:
    """Create the secret key and metrics token files once; return their paths."""
    directory = directory or var_dir()
    key, token = directory / SECRET_KEY_FILE, directory / METRICS_TOKEN_FILE
    _ensure(key, 64)
    _ensure(token, 32)
    return key, token


if __name__ == "__main__":
    for written in install():
        print(written)
