"""The operations page: superusers only. Anyone else signed in gets a 403 (an organization's
admin included: the page spans every organization); anonymous callers go to the login page."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from reporting.charts import Series, line_chart

from .selectors import ops_overview
from .store import redis_client
from .throughput import events_sample


@require_safe
@never_cache
def ops_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_superuser:
        raise PermissionDenied("The operations page is for the deployment's superusers.")
    if settings.REDIS_URL:
        events_sample(client=redis_client())  # the figures as of now, not of the last heartbeat
    ops = ops_overview(now=timezone.now())
    minutes = ops["throughput"]["minutes"]
    chart = line_chart(
        title="Twilio events per minute (last hour)",
        labels=[m.start.strftime("%H:%M") for m in minutes],
        series=[Series("received", [m.received for m in minutes]), Series("applied", [m.applied for m in minutes])],
    )
    return render(request, "ops/page.html", {"ops": ops, "chart": chart})
