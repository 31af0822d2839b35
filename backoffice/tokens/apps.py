from django.apps import AppConfig


class TokenAdminConfig(AppConfig):
    """The admin's pages for API tokens (the model is trading.tokens'): staff actions, audited."""

    name = "backoffice.tokens"
    label = "token_admin"
    verbose_name = "API tokens"
