"""`make run` on a fresh directory: it writes its own secret and metrics token, names the token
in its banner, keeps /metrics private, and a manage.py command driven from a test process
(PYTEST_VERSION set) works on the platform's own database."""

import os

import httpx
import pytest

from tests.support.platform import start_platform

pytestmark = pytest.mark.slow


def test_make_run_writes_its_secrets_and_keeps_metrics_private(tmp_path):
    platform = start_platform(tmp_path / "platform")
    try:
        secret = (platform.var_dir / "secret-key").read_text().strip()
        token = (platform.var_dir / "metrics-token").read_text().strip()
        assert len(secret) >= 50
        assert secret != os.environ.get("DJANGO_SECRET_KEY")  # its own, not the tests'
        banner = (platform.var_dir / "run_platform.log").read_text()
        assert f"/metrics bearer token (also in var/metrics-token): {token}" in banner
        assert httpx.get(f"{platform.url}/metrics", timeout=10).status_code == 401
        scraped = httpx.get(
            f"{platform.url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert scraped.status_code == 200
        assert "trading_orders" in scraped.text
        assert httpx.get(f"{platform.url}/healthz", timeout=10).json() == {"status": "ok"}
        env = {**platform.env, "PYTEST_VERSION": "9.2.0"}
        env.pop("DATABASE_URL")  # the platform's default database, as an operator's shell has
        platform.env = env
        created = platform.manage("create_trader", "late-trader", "--deposit", "USD=100")
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip().splitlines()[-1]
        answer = httpx.get(
            f"{platform.url}/api/v1/balances", headers={"Authorization": f"Token {key}"}, timeout=10
        )
        assert answer.status_code == 200, answer.text
    finally:
        assert platform.stop() == 0
