from django.urls import path

from . import api

urlpatterns = [
    path("actions/<int:pk>/exports/<slug:kind>.<slug:fmt>", api.ActionExport.as_view(), name="api-action-export"),
    path("actions/<int:pk>/exports/", api.ActionExportHistory.as_view(), name="api-action-exports"),
    path("exports/jobs/<int:pk>/", api.ExportJobDetail.as_view(), name="api-export-job"),
    path("exports/jobs/<int:pk>/download/", api.ExportJobDownload.as_view(), name="api-export-job-download"),
]
