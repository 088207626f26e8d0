"""Handing outbound messages to Twilio, exactly once.

Twilio's create call has no idempotency key, so every attempt first commits the message as
`unknown` (claimed: Twilio may or may not get it). The API call then runs with the
conversation locked (an opt-out of the phone waits for it, so the opt-out check right before
the call cannot go stale). Afterwards the outcome is recorded: accepted (SID), refused (4xx:
failed with the code), surely never reached (connection refused, 429: back to `pending`, retried
with backoff) or unknown (read timeout, 5xx: left `unknown` and, after a grace period, looked up
in Twilio's Messages list before any resend). A worker that dies mid-call leaves `unknown` too.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from twilio.base.exceptions import TwilioException, TwilioRestException
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from actions.models import Conversation, Message, OptOut, TwilioEvent
from actions.services.optouts import phone_opt_out
from p2p_admin.queueing import enqueue_on_commit
from reporting.ledger import Ledger

from .client import status_callback_url, twilio_client
from .derived import outbound_refresh
from .kick import applier_kick
from .reconcile import message_lookup

log = logging.getLogger(__name__)
SEND, RECONCILE = "send", "reconcile"
OPT_OUT_CODE = 21610


def unknown_grace() -> timedelta:
    """How long an `unknown` message waits before it is looked up (longer than any API call)."""
    return timedelta(seconds=settings.TWILIO_UNKNOWN_GRACE_SECONDS)


def send_max_age() -> timedelta:
    """A text Twilio could not be reached for this long is given up rather than sent late."""
    return timedelta(seconds=settings.TWILIO_SEND_MAX_AGE_SECONDS)


@dataclass(frozen=True)
class Claim:
    mode: str
    attempt: int


def message_dispatch(*, message_id: int) -> None:
    """One step of sending a message; safe to call any number of times, concurrently too."""
    claim = _claim(message_id)
    if claim is not None:
        _attempt(message_id, claim)


@transaction.atomic
def _claim(message_id: int) -> Claim | None:
    message = Message.objects.select_for_update().filter(id=message_id, direction=Message.Direction.OUTBOUND).first()
    if message is None:
        return None
    ledger = Ledger()
    if message.status == "pending":
        mode = SEND
    elif message.status == "unknown" and (message.status_updated_at or message.created_at) <= ledger.now - unknown_grace():
        mode = RECONCILE
    else:
        return None  # sent, being sent, or already settled: a second dispatch is a no-op
    ledger.track_message(message)
    message.status = "unknown"
    message.send_attempts += 1
    message.status_updated_at = ledger.now
    message.save(update_fields=["status", "send_attempts", "status_updated_at"])
    ledger.commit()
    return Claim(mode, message.send_attempts)


@transaction.atomic
def _attempt(message_id: int, claim: Claim) -> None:
    ledger = Ledger()
    conversation_id = Message.objects.filter(id=message_id).values_list("conversation_id", flat=True).first()
    conv = ledger.lock_one(conversation_id)
    message = Message.objects.select_for_update().get(id=message_id)
    if message.status != "unknown" or message.send_attempts != claim.attempt:
        return  # another dispatcher took over since the claim
    ledger.track_message(message)
    organization = conv.organization
    if claim.mode == RECONCILE:
        try:
            found = message_lookup(organization=organization, message=message)
        except (TwilioException, requests.RequestException) as exc:
            _unknown(message, f"could not look the text up in Twilio: {exc}")
            ledger.commit()
            return
        if found is not None:
            _record_twilio_state(ledger, conv, message, sid=found.sid, status=found.status, error_code=found.error_code)
            ledger.commit()
            return
    if conv.contact_opted_out or OptOut.objects.filter(organization_id=message.organization_id, phone=message.phone).exists():
        _record_not_sent(ledger, message, status="canceled", reason="the contact opted out before the text was sent")
    elif message.created_at <= ledger.now - send_max_age():
        _record_refused(ledger, conv, message, code=None, reason="Twilio could not be reached in time; the text was not sent")
    elif not (organization.twilio_account_sid and organization.twilio_auth_token and organization.messaging_service_sid):
        _record_refused(ledger, conv, message, code=None, reason="the organization has no Twilio credentials")
    else:
        _call_twilio(ledger, conv, message)
    ledger.commit()


def _call_twilio(ledger: Ledger, conv: Conversation, message: Message) -> None:
    organization = conv.organization
    try:
        created = twilio_client(organization).messages.create(
            to=message.phone,
            body=message.body,
            messaging_service_sid=organization.messaging_service_sid,
            status_callback=status_callback_url(),
        )
    except TwilioRestException as exc:
        if exc.status == 429:
            _retry_later(ledger, message, f"Twilio rate limit: {exc.msg}")
        elif exc.status >= 500:
            _unknown(message, f"Twilio answered {exc.status}: {exc.msg}")
        else:
            _record_refused(ledger, conv, message, code=exc.code or exc.status, reason=str(exc.msg)[:1000])
    except requests.RequestException as exc:
        if _never_reached(exc):
            _retry_later(ledger, message, f"Twilio unreachable: {exc}")
        else:
            _unknown(message, f"no answer from Twilio: {exc}")
    except TwilioException as exc:  # an answer the library could not read: it may have been sent
        _unknown(message, f"unreadable answer from Twilio: {exc}")
    else:
        status = created.status if created.status in Message.STATUS_RANK else "accepted"
        _record_twilio_state(ledger, conv, message, sid=created.sid, status=status, error_code=created.error_code)


def _never_reached(exc: requests.RequestException) -> bool:
    """True only when the request surely never got to Twilio (so a resend cannot double-text)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


def _record_twilio_state(
    ledger: Ledger, conv: Conversation, message: Message, *, sid: str, status: str, error_code: int | None
) -> None:
    was_failed = message.status in Message.FAILED_STATUSES
    message.twilio_sid = sid
    if Message.STATUS_RANK.get(status, 0) > Message.STATUS_RANK[message.status]:
        message.status = status
        message.error_code = int(error_code) if error_code else None
    message.sent_at = message.sent_at or ledger.now
    message.status_updated_at = ledger.now
    message.error_message = ""
    message.save(update_fields=["twilio_sid", "status", "error_code", "error_message", "sent_at", "status_updated_at"])
    if was_failed or message.status in Message.FAILED_STATUSES:
        outbound_refresh([conv])
    # Callbacks that beat us to the SID were parked; they can be applied now.
    parked = TwilioEvent.objects.filter(message_sid=sid, waiting_for_sid=True, applied_at__isnull=True)
    if parked.update(waiting_for_sid=False):
        transaction.on_commit(applier_kick)


def _record_refused(ledger: Ledger, conv: Conversation, message: Message, *, code: int | None, reason: str) -> None:
    _record_not_sent(ledger, message, status="failed", reason=reason, code=code)
    outbound_refresh([conv])
    if code == OPT_OUT_CODE:
        phone_opt_out(
            ledger,
            organization_id=message.organization_id,
            phone=message.phone,
            source=OptOut.Source.TWILIO_21610,
            conversation=conv,
            message=message,
        )


def _record_not_sent(ledger: Ledger, message: Message, *, status: str, reason: str, code: int | None = None) -> None:
    message.status = status
    message.error_code = code
    message.error_message = reason
    message.status_updated_at = ledger.now
    message.save(update_fields=["status", "error_code", "error_message", "status_updated_at"])


def _retry_later(ledger: Ledger, message: Message, reason: str) -> None:
    # Surely not sent: back to `pending` (ours, below every Twilio status), tried again later.
    _record_not_sent(ledger, message, status="pending", reason=reason)
    delay = min(600, 5 * 2 ** min(message.send_attempts - 1, 7)) * random.uniform(0.8, 1.2)
    _schedule(message.id, delay)


def _unknown(message: Message, reason: str) -> None:
    log.warning("message %s: %s; it will be looked up before any resend", message.id, reason)
    message.error_message = reason
    message.save(update_fields=["error_message"])
    _schedule(message.id, unknown_grace().total_seconds() + 5)


def _schedule(message_id: int, delay: float) -> None:
    from actions.tasks import message_send
    from p2p_admin.celery import app

    if app.conf.task_always_eager:
        return  # no worker to wait for a countdown: messages_redispatch picks the message up
    enqueue_on_commit(message_send, (message_id,), countdown=delay)


def messages_redispatch(*, limit: int = 500) -> int:
    """Re-dispatch messages whose send task was lost (stuck `pending`) or whose outcome is
    unknown past the grace period; the claim makes an extra dispatch harmless."""
    from actions.tasks import message_send

    now = timezone.now()
    stale = now - timedelta(seconds=settings.TWILIO_PENDING_STALE_SECONDS)
    stuck_pending = Q(status="pending") & (
        Q(status_updated_at__lt=stale) | Q(status_updated_at__isnull=True, created_at__lt=stale)
    )
    stuck_unknown = Q(status="unknown", status_updated_at__lt=now - unknown_grace())
    ids = list(
        Message.objects.filter(direction=Message.Direction.OUTBOUND, status__in=["pending", "unknown"])
        .filter(stuck_pending | stuck_unknown)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for message_id in ids:
        message_send.delay(message_id)
    return len(ids)
