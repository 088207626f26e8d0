"""Twilio webhooks (CONTRACT §3): verify, store, acknowledge. The organization comes from
AccountSid (cached briefly in-process), the signature is checked against PUBLIC_BASE_URL +
path, the raw event is inserted once, and the answer goes back at once; applying the event is
the applier's job (actions.twilio.applier), woken on commit."""

import time

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from actions.errors import Invalid
from actions.models import TwilioEvent
from orgs.models import Organization

from .events import event_record
from .kick import applier_kick

ORG_CACHE_SECONDS = 60
ORG_CACHE_MAX = 10_000
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
_orgs: dict[str, tuple[float, Organization]] = {}


def organization_for(account_sid: str, *, fresh: bool = False) -> Organization | None:
    if not account_sid or len(account_sid) > 64:
        return None
    hit = _orgs.get(account_sid)
    if hit and not fresh and hit[0] > time.monotonic():
        return hit[1]
    org = (
        Organization.objects.filter(twilio_account_sid=account_sid).only("id", "twilio_account_sid", "twilio_auth_token").first()
    )
    if org is None:
        _orgs.pop(account_sid, None)  # only known accounts are cached: random SIDs cannot fill memory
        return None
    if len(_orgs) >= ORG_CACHE_MAX:
        _orgs.clear()
    _orgs[account_sid] = (time.monotonic() + ORG_CACHE_SECONDS, org)
    return org


def organization_cache_clear() -> None:
    _orgs.clear()


def _signed(org: Organization, request: HttpRequest, signature: str) -> bool:
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    return bool(org.twilio_auth_token) and RequestValidator(org.twilio_auth_token).validate(url, request.POST, signature)


def _receive(request: HttpRequest, kind: str, ok: HttpResponse) -> HttpResponse:
    try:
        params = request.POST
    except MultiPartParserError:
        return JsonResponse({"body": "not a form-encoded body"}, status=400)
    account_sid = params.get("AccountSid", "")
    signature = request.headers.get("X-Twilio-Signature", "")
    org = organization_for(account_sid)
    if org is None or not signature:
        return HttpResponseForbidden()
    if not _signed(org, request, signature):
        # The auth token may have been rotated since it was cached: check once against the database.
        org = organization_for(account_sid, fresh=True)
        if org is None or not _signed(org, request, signature):
            return HttpResponseForbidden()
    try:
        stored = event_record(organization=org, kind=kind, payload=params.dict())
    except Invalid as exc:
        return JsonResponse(exc.detail, status=400)
    if stored:
        transaction.on_commit(applier_kick)
    return ok


@csrf_exempt
@require_POST
def status_webhook(request: HttpRequest) -> HttpResponse:
    return _receive(request, TwilioEvent.Kind.STATUS, HttpResponse(status=204))


@csrf_exempt
@require_POST
def inbound_webhook(request: HttpRequest) -> HttpResponse:
    return _receive(request, TwilioEvent.Kind.INBOUND, HttpResponse(EMPTY_TWIML, content_type="text/xml"))
