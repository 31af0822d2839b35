"""The Celery app: one queue per venue (venue.SIM-A, venue.SIM-B, venue.SIM-F), plus publisher and
projector."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wiring.settings")
# As the other parts: Django's checks ran once per start of the platform (run_platform, the
# migrate job), not again in each worker (0.5 CPU-s each: they import every view).
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_acks_late = True
app.conf.task_reject_on_worker_lost = True
app.conf.worker_prefetch_multiplier = 1
app.autodiscover_tasks(["venues"])

from venues.adapters.core import install  # noqa: E402  (the app must exist first)
from venues.worker import VenueStreams  # noqa: E402
from wiring.venue_calls import core_calls  # noqa: E402

install(core_calls())  # venues reach trading-core through these (venues/adapters/core.py)

app.steps["worker"].add(VenueStreams)

import backoffice.ops.worker  # noqa: E402, F401  (connects the worker_ready handler)
