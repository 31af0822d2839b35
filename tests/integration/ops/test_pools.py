"""Ops' pools against a real Celery worker on the machine's Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from backoffice.audit.models import AuditLog
from backoffice.ops import services
from backoffice.ops.models import PoolSetting
from backoffice.ops.selectors import pools
from kernel import roles
from tests.support.platform import eventually
from tests.support.processes import stop

ROOT = Path(__file__).resolve().parents[3]


def start_worker(queue: str, name: str, log: Path) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k != "CELERY_KEY_PREFIX"},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "wiring.celery",
        "worker",
        "-Q",
        queue,
        "-n",
        f"{name}@%h",
        "--pool",
        "prefork",
        "--concurrency",
        "1",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "INFO",
    ]
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    stop(process, 20, group=True)


def concurrency(queue: str) -> int:
    pool = next((p for p in pools() if p.queue == queue), None)
    return pool.concurrency if pool and pool.workers else 0


@pytest.fixture
def ops_user(db):
    user = User.objects.create_user("ops-1", password="pw-ops-123")
    user.groups.add(Group.objects.get_or_create(name=roles.OPS)[0])
    return user


@pytest.mark.django_db(transaction=True)
def test_a_pool_grows_shrinks_and_keeps_its_size_across_a_restart(ops_user, tmp_path):
    # Its own queue and worker name keep it apart from any other worker on this Redis.
    queue, name = f"ops.test-{uuid.uuid4().hex[:6]}", f"ops-{uuid.uuid4().hex[:6]}"
    worker = start_worker(queue, name, tmp_path / "worker.log")
    try:
        eventually(lambda: concurrency(queue) == 1, 40, 0.5, what="the worker to answer")
        services.pool_resize(queue=queue, by=1, user=ops_user)
        eventually(lambda: concurrency(queue) == 2, 20, 0.5, what="the pool to grow")
        assert PoolSetting.objects.get(queue=queue).concurrency == 2
        audit = AuditLog.objects.get(action="pool_resize")
        assert (audit.actor, audit.before, audit.after) == (
            ops_user,
            {"concurrency": None},
            {"concurrency": 2},
        )
        stop_worker(worker)
        worker = start_worker(queue, name, tmp_path / "worker.log")
        eventually(lambda: concurrency(queue) == 2, 40, 0.5, what="the desired size re-applied")
        services.pool_resize(queue=queue, by=-1, user=ops_user)
        eventually(lambda: concurrency(queue) == 1, 20, 0.5, what="the pool to shrink")
        with pytest.raises(services.PoolChangeRefused, match="between 1"):
            services.pool_resize(queue=queue, by=-1, user=ops_user)
    finally:
        stop_worker(worker)


@pytest.mark.django_db
def test_only_ops_can_see_and_change_pools(client, ops_user):
    staff = User.objects.create_user("staff-1", password="pw-staff-123", is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=roles.STAFF)[0])
    client.force_login(staff)
    assert client.get("/ops/pools").status_code == 403
    assert (
        client.post("/ops/pools/change", {"queue": "venue.SIM-A", "action": "grow"}).status_code
        == 403
    )
    client.logout()
    assert client.get("/ops/pools").status_code == 302  # anonymous: to the sign-in page
