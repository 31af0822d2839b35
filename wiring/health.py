"""/healthz: 200 {"status": "ok"} when every part answers, 503 {"status": "down"} when one does
not; which part and why only to staff, ops or the metrics token (infra/ops_access.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from infra.ops_access import may_see_details
from infra.store import database
from infra.store.api import run
from venues.recovery.heartbeat import check_venue_streams


def _store() -> None:
    run(database(), lambda tr: tr.get_read_version())


def _django_db() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _kafka() -> None:
    if not settings.KAFKA_BOOTSTRAP_SERVERS:
        raise RuntimeError("KAFKA_BOOTSTRAP_SERVERS is not set")
    from confluent_kafka.admin import AdminClient

    AdminClient({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS}).list_topics(timeout=1)


def _celery_broker() -> None:
    from wiring.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=1)


CHECKS: dict[str, Callable[[], None]] = {
    "store": _store,
    "database": _django_db,
    "kafka": _kafka,
    "celery_broker": _celery_broker,
    "venue_streams": check_venue_streams,  # a venue pool whose stream thread stopped beating
}


def healthz(request: HttpRequest) -> JsonResponse:
    """Every check in CHECKS; the details only for those who may see them."""
    parts = {}
    for name, check in CHECKS.items():
        try:
            check()
            parts[name] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure means the part is down
            parts[name] = f"down: {type(error).__name__}: {error}"[:300]
    healthy = all(v == "ok" for v in parts.values())
    body: dict[str, object] = {"status": "ok" if healthy else "down"}
    if may_see_details(request):
        body["parts"] = parts
        body["restarts"] = _restarts()
    return JsonResponse(body, status=200 if healthy else 503)


def livez(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers HTTP (outside parts are /healthz's business)."""
    return JsonResponse({"status": "alive"})


def _restarts() -> dict[str, int] | str:
    """How often the process manager restarted each part in this run (wiring/launch.py)."""
    from wiring.launch import restarts

    try:
        return restarts()
    except Exception as error:  # noqa: BLE001 - the store's own check names the failure
        return f"unknown: {type(error).__name__}"
