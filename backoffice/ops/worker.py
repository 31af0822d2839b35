"""Re-apply ops' desired pool size when a worker starts (a restart forgets remote changes)."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import worker_ready

log = logging.getLogger(__name__)


@worker_ready.connect
def reapply_desired_size(sender: Any, **kwargs: Any) -> None:
    from backoffice.ops.models import PoolSetting

    queues = list(sender.task_consumer.queues) if sender.task_consumer else []
    names = [q.name for q in queues]
    try:
        settings = list(PoolSetting.objects.filter(queue__in=names))
    except Exception as error:  # noqa: BLE001 - a worker must start even if the DB is away
        log.warning("pool settings unavailable, keeping the configured size: %s", error)
        return
    autoscaler = sender.controller.autoscaler
    for setting in settings:
        if autoscaler and setting.autoscale_max:
            autoscaler.update(setting.autoscale_max, setting.autoscale_min)
        elif setting.concurrency and not autoscaler:
            change = setting.concurrency - sender.pool.num_processes
            if change > 0:
                sender.pool.grow(change)
            elif change < 0:
                sender.pool.shrink(-change)
            log.info("%s: pool size %s re-applied", setting.queue, setting.concurrency)
