from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "backoffice.finance"
    label = "finance"
    verbose_name = "Finance: environment costs"
