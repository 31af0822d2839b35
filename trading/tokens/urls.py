"""Mounted at /api/v1/ (wiring/urls.py)."""

from django.urls import path

from trading.tokens import views

urlpatterns = [
    path("tokens", views.TokensView.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>", views.TokenView.as_view(), name="api-token"),
    path("tokens/<int:token_id>/rotate", views.TokenRotateView.as_view(), name="api-token-rotate"),
]
