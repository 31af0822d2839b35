from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "infra"

    def ready(self) -> None:
        from prometheus_client import REGISTRY

        from infra.metrics import TradingCollector, kafka_metrics
        from infra.metrics_refresh import RefreshedCollector

        if not any(isinstance(c, TradingCollector) for c in list(REGISTRY._collector_to_names)):
            REGISTRY.register(TradingCollector())
            REGISTRY.register(RefreshedCollector(kafka_metrics))
