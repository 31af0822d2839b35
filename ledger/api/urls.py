"""Mounted at /api/v1/ (wiring/urls.py)."""

from django.urls import path

from ledger.api import views

urlpatterns = [
    path("balances", views.BalancesView.as_view(), name="api-balances"),
]
