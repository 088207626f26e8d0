from django.urls import path

from . import api_views

urlpatterns = [
    path("auth/token/", api_views.TokenView.as_view(), name="api-token"),
    path("volunteers/", api_views.VolunteerListCreate.as_view(), name="api-volunteers"),
]
