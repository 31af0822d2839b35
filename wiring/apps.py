from django.apps import AppConfig


class WiringConfig(AppConfig):
    name = "wiring"

    def ready(self) -> None:
        from prometheus_client import REGISTRY

        from infra.metrics_refresh import RefreshedCollector
        from wiring import celery  # noqa: F401 - the current Celery app, for backoffice.ops
        from wiring.metrics import TradingCollector, kafka_metrics

        if not any(isinstance(c, TradingCollector) for c in list(REGISTRY._collector_to_names)):
            REGISTRY.register(TradingCollector())
            REGISTRY.register(RefreshedCollector(kafka_metrics))
