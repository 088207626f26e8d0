"""The event applier (DESIGN: the event path, step 2). A batch of stored events is taken
with SELECT … FOR UPDATE SKIP LOCKED, so several workers share the queue; everything it
changes — message statuses, inbound texts, conversation state, opt-outs, the aggregates (through
reporting.ledger.Ledger) and the events' own applied marks — commits in one transaction, so a
worker killed half way leaves the whole batch for the next one."""

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KT

from actions.models import Message, TwilioEvent
from orgs.db import retry_on_conflict
from reporting.ledger import Ledger

from . import sql
from .apply_inbound import InboundEvents
from .apply_status import StatusEvents
from .sql import any_of

PAYLOAD_KEYS = ("ErrorCode", "ErrorMessage", "From", "Body")


@dataclass(frozen=True)
class Event:
    id: int
    organization_id: int
    kind: str
    message_sid: str
    status: str
    payload: dict
    received_at: datetime


def events_apply(*, limit: int = 1000) -> int:
    """Apply one batch of unapplied events in one transaction; returns how many were applied."""
    return _batch(limit)[1]


def events_apply_all(*, limit: int = 1000, max_seconds: float = 50.0) -> int:
    """Apply batches until the queue is empty (or time is up: the next sweep goes on)."""
    deadline = time.monotonic() + max_seconds
    total = 0
    while True:
        taken, applied = _batch(limit)
        total += applied
        if taken < limit or time.monotonic() > deadline:
            return total


def events_unpark() -> int:
    """Callbacks parked for a SID that a message now carries go back to the queue."""
    has_message = Message.objects.filter(twilio_sid=OuterRef("message_sid"), organization_id=OuterRef("organization_id"))
    return (
        TwilioEvent.objects.filter(waiting_for_sid=True, applied_at__isnull=True)
        .filter(Exists(has_message))
        .update(waiting_for_sid=False)
    )


@retry_on_conflict
def _batch(limit: int) -> tuple[int, int]:
    # Only the payload keys the applier reads are fetched: decoding whole payloads cost more
    # than applying them.
    rows = (
        TwilioEvent.objects.filter(applied_at__isnull=True, waiting_for_sid=False)
        .order_by("id")
        .select_for_update(skip_locked=True)
        .annotate(**{f"p_{key}": KT(f"payload__{key}") for key in PAYLOAD_KEYS})
        .values_list("id", "organization_id", "kind", "message_sid", "status", "received_at", *(f"p_{k}" for k in PAYLOAD_KEYS))[
            :limit
        ]
    )
    events = [
        Event(*row[:5], {k: v for k, v in zip(PAYLOAD_KEYS, row[6:], strict=True) if v is not None}, row[5]) for row in rows
    ]
    if not events:
        return 0, 0
    # A status outside the contract's order cannot be stored through event_record; one put
    # there by hand is marked applied and changes nothing rather than blocking the queue.
    statuses = [e for e in events if e.kind == TwilioEvent.Kind.STATUS and e.status in Message.STATUS_RANK]
    inbound = [e for e in events if e.kind == TwilioEvent.Kind.INBOUND]
    status_part = StatusEvents(statuses)
    inbound_part = InboundEvents(inbound) if inbound else None
    ledger = Ledger()
    ledger.lock(status_part.conversation_ids | (inbound_part.conversation_ids if inbound_part else set()))
    status_part.apply(ledger)
    if inbound_part:
        inbound_part.apply(ledger)
    ledger.commit()
    parked = set(status_part.parked)
    applied = [e.id for e in events if e.id not in parked]
    _mark(applied, "applied_at", ledger.now)
    _mark(sorted(parked), "waiting_for_sid", True)
    return len(events), len(applied)


def _mark(ids: list[int], column: str, value) -> None:
    if ids:
        where, params = any_of("id", ids)
        prepared = TwilioEvent._meta.get_field(column).get_db_prep_save(value, connection)
        sql.execute(f"UPDATE {TwilioEvent._meta.db_table} SET {column} = %s WHERE {where}", [prepared, *params])
