from django.urls import path

from . import views
from .twilio import webhooks

urlpatterns = [
    path("webhooks/twilio/status/", webhooks.status_webhook, name="twilio-status"),
    path("webhooks/twilio/inbound/", webhooks.inbound_webhook, name="twilio-inbound"),
    path("l/<str:code>", views.link_redirect, name="tracked-link"),
]
