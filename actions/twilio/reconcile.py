"""Finding out whether Twilio has a message we are not sure it received (a read timeout, a
5xx, a worker killed mid-call): list the Messages to that phone since the day it was created
and match our text, before anyone may send it again."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from actions.models import Message
from orgs.models import Organization

from .client import twilio_client

log = logging.getLogger(__name__)
# Twilio's clock and ours may differ a little; a match must not be missed over it.
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Found:
    sid: str
    status: str
    error_code: int | None


def message_lookup(*, organization: Organization, message: Message) -> Found | None:
    """Twilio's record of this outbound message, or None when Twilio surely has none."""
    since = message.created_at - timedelta(days=1)
    candidates = twilio_client(organization).messages.list(
        to=message.phone, date_sent_after=since.strftime("%Y-%m-%d"), limit=200
    )
    matches = [
        m
        for m in candidates
        if m.body == message.body
        and (m.messaging_service_sid or "") == organization.messaging_service_sid
        and (m.date_created is None or m.date_created >= message.created_at - CLOCK_SLACK)
    ]
    if not matches:
        return None
    taken = set(Message.objects.filter(twilio_sid__in=[m.sid for m in matches]).values_list("twilio_sid", flat=True))
    free = sorted((m for m in matches if m.sid not in taken), key=lambda m: (m.date_created is None, m.date_created, m.sid))
    if not free:
        return None
    first = free[0]
    if len(free) > 1:
        log.warning("message %s matches %d Twilio messages; taking the earliest", message.id, len(free))
    status = str(first.status) if str(first.status) in Message.STATUS_RANK else "accepted"
    return Found(first.sid, status, int(first.error_code) if first.error_code else None)
