from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "backoffice.ops"
    label = "ops"
    verbose_name = "Ops: Celery worker pools"

    def ready(self) -> None:
        from prometheus_client import REGISTRY

        from backoffice.ops.metrics import pool_metrics
        from infra.metrics_refresh import RefreshedCollector

        REGISTRY.register(RefreshedCollector(pool_metrics))
