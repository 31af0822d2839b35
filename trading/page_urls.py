"""The trader's page (mounted at the site root by wiring/urls.py)."""

from django.urls import path

from trading import pages

urlpatterns = [
    path("", pages.trader_page, name="trader-page"),
]
