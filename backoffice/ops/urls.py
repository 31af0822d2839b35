from django.urls import path

from backoffice.ops import views

urlpatterns = [
    path("pools", views.pool_list, name="ops-pools"),
    path("pools/change", views.pool_change, name="ops-pool-change"),
]
