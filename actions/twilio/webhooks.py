"""Twilio webhooks (CONTRACT §3): verify, store, acknowledge. The organization comes from
AccountSid (cached briefly in-process), the signature is checked against PUBLIC_BASE_URL +
path, the raw event is inserted once, and the answer goes back at once; applying the event is
the applier's job (actions.twilio.applier), woken on commit."""

import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from actions.errors import Invalid
from actions.models import TwilioEvent
from orgs.models import Organization
from p2p_admin.ratelimit import client_key, limits_check

from .events import event_record
from .kick import applier_kick

ORG_CACHE_SECONDS = 60
ORG_CACHE_MAX = 10_000
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
REFUSED = (
    "Not signed by the Twilio account it names: check AccountSid, the X-Twilio-Signature header and the account's auth token."
)
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


def _refused(request: HttpRequest, org: Organization | None) -> HttpResponse:
    """403; 429 once this address, or forgeries naming this account, pass their limit. Only
    refused requests are counted, so a correctly signed callback is never limited."""
    limits = [("webhook_refused", client_key(request))]
    if org is not None:
        limits.append(("webhook_refused_account", org.twilio_account_sid))
    return limits_check(request, limits) or JsonResponse({"detail": REFUSED}, status=403)


def _store(org: Organization, kind: str, payload: dict) -> bool:
    """event_record, tried once more on a new connection when PostgreSQL dropped the one this
    process kept (a failover, pg_terminate_backend) after the request's health check: Twilio does
    not retry a status callback answered 5xx, and ON CONFLICT DO NOTHING makes the retry safe."""
    try:
        return event_record(organization=org, kind=kind, payload=payload)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return event_record(organization=org, kind=kind, payload=payload)


def _receive(request: HttpRequest, kind: str, ok: HttpResponse) -> HttpResponse:
    try:
        params = request.POST
    except MultiPartParserError:
        return JsonResponse({"body": "not a form-encoded body"}, status=400)
    account_sid = params.get("AccountSid", "")
    signature = request.headers.get("X-Twilio-Signature", "")
    org = organization_for(account_sid)
    if org is None or not signature:
        return _refused(request, org)
    if not _signed(org, request, signature):
        # The auth token may have been rotated since it was cached: check once against the database.
        org = organization_for(account_sid, fresh=True)
        if org is None or not _signed(org, request, signature):
            return _refused(request, org)
    try:
        stored = _store(org, kind, params.dict())
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
