"""Mounted at /api/v1/ (wiring/urls.py), beside trading.api.urls."""

from django.urls import path

from backoffice import history_api

urlpatterns = [
    path(
        "orders/<str:order_id>/history",
        history_api.OrderHistoryView.as_view(),
        name="api-order-history",
    ),
]
