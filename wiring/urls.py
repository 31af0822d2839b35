"""URL map: each context mounts its own urls module."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from infra.site import favicon
from wiring.health import healthz, livez
from wiring.metrics import metrics_view

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/risk-limits/", include("backoffice.risk_admin")),  # before the admin's own
    path("admin/", admin.site.urls),
    path("ops/", include("backoffice.ops.urls")),
    path("reports/", include("backoffice.reports_urls")),
    path("finance/", include("backoffice.finance.urls")),
    path("login", auth_views.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),  # POST only: ends the session
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("trading.api.urls")),
    path("api/v1/", include("ledger.api.urls")),
    path("api/v1/", include("backoffice.history_urls")),
    path("api/v1/", include("trading.tokens.urls")),
    path("metrics", metrics_view, name="prometheus-django-metrics"),
    path("", include("trading.page_urls")),
]

handler404 = "infra.errors.not_found"
handler500 = "infra.errors.error"
