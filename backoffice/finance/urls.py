from django.urls import path

from backoffice.finance import views

urlpatterns = [
    path("", views.dashboard, name="finance-dashboard"),
    path("costs.csv", views.costs_csv, name="finance-costs-csv"),
    path("records", views.cost_records, name="finance-records"),
]
