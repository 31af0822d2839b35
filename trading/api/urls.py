"""Mounted at /api/v1/ (wiring/urls.py); paths exactly as the contract writes them."""

from django.urls import path

from trading.api import views

urlpatterns = [
    path("instruments", views.InstrumentsView.as_view(), name="api-instruments"),
    path("orders", views.OrdersView.as_view(), name="api-orders"),
    path("orders/<str:order_id>", views.OrderView.as_view(), name="api-order"),
    path("orders/<str:order_id>/cancel", views.CancelOrderView.as_view(), name="api-order-cancel"),
    path("fills", views.FillsView.as_view(), name="api-fills"),
    path("positions", views.PositionsView.as_view(), name="api-positions"),
]
