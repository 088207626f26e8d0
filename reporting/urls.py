from django.urls import path

from . import views

urlpatterns = [
    path("actions/", views.ActionsListPage.as_view(), name="actions-list"),
    path("actions/<int:pk>/results/", views.ResultsPage.as_view(), name="action-results"),
    path("actions/<int:pk>/reports/", views.ReportsPage.as_view(), name="action-reports"),
]
