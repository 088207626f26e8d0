from django.urls import path

from . import api

urlpatterns = [
    path("actions/<int:pk>/results/", api.ActionResults.as_view(), name="api-action-results"),
    path("actions/<int:pk>/reports/", api.ActionReports.as_view(), name="api-action-reports"),
]
