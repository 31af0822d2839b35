"""Secrets and settings: no hard-coded secret, a per-install one from `make run`, production
settings that pass `check --deploy`, and test settings chosen only by DJANGO_TESTING."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from django.conf import settings

from infra import install_secrets
from tests.support.processes import manage

OLD_DEFAULT = "dev-only-not-a-secret-change-me-in-production-0123456789"
PRINT_SETTINGS = (
    "from django.conf import settings; "
    "print(settings.DATABASES['default']['ENGINE']); print(settings.SECRET_KEY)"
)


def _manage(var_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """manage.py as an operator starts it: none of the test configuration's variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "METRICS_TOKEN", "CACHE_KEY_PREFIX"))
    }
    clean.update(VAR_DIR=str(var_dir), PYTEST_VERSION="9.2.0", **env)  # a harness's child
    clean.pop("DATABASE_URL", None)
    return manage(*args, env=clean)


def test_without_a_secret_and_without_debug_nothing_starts(tmp_path):
    started = _manage(tmp_path, "check")
    assert started.returncode != 0
    assert "No secret key: set DJANGO_SECRET_KEY" in started.stderr


def test_the_per_install_secret_is_written_once_private_and_used(tmp_path):
    key_path, token_path = install_secrets.install(tmp_path)
    first = key_path.read_text()
    install_secrets.install(tmp_path)
    assert key_path.read_text() == first  # a restart keeps sessions and signed cursors valid
    for path in (key_path, token_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = _manage(tmp_path, "shell", "-c", PRINT_SETTINGS)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[-1] == first.strip()
    assert len(first.strip()) >= 50


def test_debug_without_a_secret_makes_the_per_install_file(tmp_path):
    shown = _manage(tmp_path, "shell", "-c", PRINT_SETTINGS, DJANGO_DEBUG="1")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[-1] == (tmp_path / "secret-key").read_text().strip()


def test_run_platform_writes_the_secrets_before_the_settings_load(tmp_path):
    # `manage.py run_platform` with nothing configured gets as far as its own arguments.
    started = _manage(tmp_path, "run_platform", "--help")
    assert started.returncode == 0, started.stderr
    assert (tmp_path / "secret-key").read_text().strip()
    assert (tmp_path / "metrics-token").read_text().strip()


def test_a_command_run_by_a_test_harness_uses_the_normal_database(tmp_path):
    # PYTEST_VERSION is set (as tests/support/platform.py's children have it): still SQLite.
    shown = _manage(tmp_path, "shell", "-c", PRINT_SETTINGS, DJANGO_SECRET_KEY="k" * 50)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[-2] == "django.db.backends.sqlite3"


def test_the_tests_run_on_postgresql_because_the_test_configuration_says_so():
    assert os.environ["DJANGO_TESTING"] == "1"  # pyproject's pytest `env`
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.SECRET_KEY != OLD_DEFAULT


def test_production_settings_pass_the_deploy_check(tmp_path):
    checked = _manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=install_secrets.secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="backoffice.example.com,localhost",
        DJANGO_HTTPS="1",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
    )
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_the_deploy_check_fails_without_https_settings(tmp_path):
    checked = _manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=install_secrets.secrets.token_urlsafe(50),
    )
    assert checked.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in checked.stderr
