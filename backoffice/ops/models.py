"""Ops' desired size for each Celery pool, re-applied when a worker of that queue starts."""

from django.conf import settings
from django.db import models


class PoolSetting(models.Model):
    queue = models.CharField(max_length=100, unique=True)
    concurrency = models.PositiveIntegerField(null=True, blank=True)
    autoscale_min = models.PositiveIntegerField(null=True, blank=True)
    autoscale_max = models.PositiveIntegerField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("scale_pools", "Can grow, shrink and autoscale Celery worker pools")]

    def __str__(self) -> str:
        autoscale = f"{self.autoscale_min}-{self.autoscale_max}"
        return f"{self.queue}: concurrency {self.concurrency}, autoscale {autoscale}"
