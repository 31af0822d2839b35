from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"

    def ready(self) -> None:
        from trading.api import edge_cache

        edge_cache.connect_signals()  # a revoked token is forgotten by every web worker
