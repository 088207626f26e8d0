from django.urls import path

from . import views

urlpatterns = [
    path("actions/<int:pk>/datasync/", views.MappingPage.as_view(), name="action-datasync"),
    path("actions/<int:pk>/datasync/retry/", views.RetryFailed.as_view(), name="action-datasync-retry"),
]
