from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"
    label = "backoffice"
    verbose_name = "Back office"
