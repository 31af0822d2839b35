from django.apps import AppConfig


class WiringConfig(AppConfig):
    name = "wiring"

    def ready(self) -> None:
        from prometheus_client import REGISTRY

        from infra.metrics_refresh import RefreshedCollector

        # Loading the Celery app makes it current (backoffice.ops' remote control) and gives
        # venues their CoreCalls (venues/adapters/core.py) in every Django process.
        from wiring import celery  # noqa: F401
        from wiring.metrics import TradingCollector, kafka_metrics

        if not any(isinstance(c, TradingCollector) for c in list(REGISTRY._collector_to_names)):
            REGISTRY.register(TradingCollector())
            REGISTRY.register(RefreshedCollector(kafka_metrics))
