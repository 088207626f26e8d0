"""URLs for bench/webhook_ingest.py: the real app, plus the baseline the issue names — a bare
view in the same server that inserts one row through the ORM and answers 204."""

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from actions.models import TwilioEvent
from p2p_admin.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def bare_insert(request):
    TwilioEvent.objects.create(
        organization_id=int(request.POST["org"]),
        kind="status",
        message_sid=request.POST["MessageSid"],
        status="sent",
        payload=request.POST.dict(),
        received_at=timezone.now(),
    )
    return HttpResponse(status=204)


urlpatterns = [path("bench/bare-insert/", bare_insert), *app_urlpatterns]
