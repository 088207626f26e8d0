from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.AuditPage.as_view(), name="audit"),
]
