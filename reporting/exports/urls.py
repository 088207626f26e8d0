from django.urls import path

from . import views

urlpatterns = [
    path("actions/<int:pk>/exports/", views.ExportsPage.as_view(), name="action-exports"),
    path("actions/<int:pk>/exports/panel/", views.ExportsPanel.as_view(), name="action-exports-panel"),
    path("actions/<int:pk>/exports/<slug:kind>.<slug:fmt>", views.ExportFile.as_view(), name="action-export-file"),
]
