from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "backoffice.ops"
    label = "ops"
    verbose_name = "Ops: Celery worker pools"

    def ready(self) -> None:
        from prometheus_client import REGISTRY

        from backoffice.ops.metrics import PoolCollector

        if not any(isinstance(c, PoolCollector) for c in list(REGISTRY._collector_to_names)):
            REGISTRY.register(PoolCollector())
