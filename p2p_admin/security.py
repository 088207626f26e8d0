"""Login lockout (django-axes) wired to this project: the client's address behind proxies, the
username as users log in with it, the lockout answer (JSON for the API, a page for the form),
and the lockout as an event in the organization's audit log."""

import ipaddress
import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse

from engagement.models import AuditEvent
from engagement.services.audit import audit_record
from orgs.services import normalize_email

from .errors import error_response


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the
    entry that many places from the right of X-Forwarded-For (the ones to its left are
    whatever the client chose to send). None when there is no valid address (a test client)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(hops) >= proxies and (forwarded := _address(hops[-proxies])):
            return forwarded
    return _address(request.META.get("REMOTE_ADDR", ""))


def lockout_username(request: HttpRequest, credentials: dict | None) -> str:
    """Usernames are emails compared case-insensitively, so `Ann@X.org` and `ann@x.org` count together."""
    field = settings.AXES_USERNAME_FORM_FIELD
    raw = (credentials or {}).get(field)
    if raw is None:
        raw = request.POST.get(field, "") if hasattr(request, "POST") else ""
    return normalize_email(str(raw))


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, except for logins without a request (a shell, a command): they
    come from no client, so there is no address to lock out and nothing to count."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    detail = (
        f"Too many failed logins for this account from your address: logging in is locked for {minutes} "
        "minutes from the last try. Check the email and password, wait, or ask an admin to unlock you."
    )
    return error_response(request, 429, detail, headers={"Retry-After": str(int(settings.AXES_COOLOFF_TIME.total_seconds()))})


def lockout_audit(sender, request=None, username: str = "", ip_address: str = "", **kwargs) -> None:
    """Receiver of axes' user_locked_out: the moment an account locks (not every refused try
    after it, which an attacker could repeat) becomes an event for its organization's admins."""
    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    user = get_user_model().objects.filter(username=username).select_related("membership").first()
    membership = getattr(user, "membership", None) if user else None
    if membership is None:
        return  # not a member of any organization: there is no audit log to write it to
    audit_record(
        organization_id=membership.organization_id,
        actor=None,
        verb=AuditEvent.Verb.LOGIN_LOCKOUT,
        subject=user,
        summary={"username": username, "ip": ip_address, "failures": settings.AXES_FAILURE_LIMIT},
    )
