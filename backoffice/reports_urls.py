"""Mounted at /reports/ by wiring/urls.py."""

from django.urls import path

from backoffice import report_views as views
from backoffice.venue_drift_views import venue_vs_store_page

urlpatterns = [
    path("", views.index, name="reports"),
    path("trial-balance", views.trial_balance, name="report-trial-balance"),
    path("trial-balance.csv", views.trial_balance_csv, name="report-trial-balance-csv"),
    path("positions", views.positions, name="report-positions"),
    path("positions.csv", views.positions_csv, name="report-positions-csv"),
    path("fills", views.fills, name="report-fills"),
    path("fills.csv", views.fills_csv, name="report-fills-csv"),
    path("reconciliation", views.reconciliation, name="report-reconciliation"),
    path("reconciliation.csv", views.reconciliation_csv, name="report-reconciliation-csv"),
    path("venue-vs-store", venue_vs_store_page, name="report-venue-vs-store"),
]
