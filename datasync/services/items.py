"""Status changes of outbox rows. Each is a guarded transition (the rows still in the state the
caller saw), so a duplicate task or a second click changes nothing and counts nothing twice."""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from actions.errors import Invalid
from actions.models import Action
from engagement.models import AuditEvent
from engagement.services.audit import audit_record_by

from ..counters import SyncCounts
from ..models import SyncItem
from .outbox import send_after_commit

Status = SyncItem.Status
MAX_ATTEMPTS = 8
# A claimed row whose worker has not answered by then is taken back (the worker died).
LEASE = timedelta(minutes=10)
LOST_TEXT = "the worker sending this item stopped before the CRM answered"


@transaction.atomic
def items_transition(*, where: Q, status: str, fields: dict | None = None) -> list[dict]:
    """Move the rows matching `where` to `status`; answers the rows moved (as they were)."""
    fields = fields or {}
    rows = list(
        SyncItem.objects.select_for_update()
        .filter(where)
        .order_by("id")
        .values("id", "action_id", "source", "status", "last_error", "connection_id")
    )
    if not rows:
        return rows
    SyncItem.objects.filter(id__in=[r["id"] for r in rows]).update(status=status, updated_at=timezone.now(), **fields)
    counts = SyncCounts()
    for row in rows:
        counts.move(row, status=status, last_error=fields.get("last_error", row["last_error"]))
    counts.write()
    return rows


def items_retry(*, action: Action, item_ids: list[int] | None = None, actor: AbstractUser | None = None) -> int:
    """Failed items of the action go back to the queue with fresh attempts (the admin's "retry")."""
    where = Q(action=action, status=Status.FAILED)
    if item_ids is not None:
        known = set(SyncItem.objects.filter(action=action, id__in=item_ids).values_list("id", flat=True))
        unknown = sorted(set(item_ids) - known)
        if unknown:
            raise Invalid({"items": f"not items of this action: {', '.join(map(str, unknown))}"})
        where &= Q(id__in=item_ids)
    with transaction.atomic():
        rows = items_transition(where=where, status=Status.PENDING, fields={"attempts": 0, "not_before": timezone.now()})
        send_after_commit(r["connection_id"] for r in rows)
        summary = {"asked": "all failed" if item_ids is None else item_ids, "retried": len(rows)}
        verb = AuditEvent.Verb.DATASYNC_RETRY
        audit_record_by(actor, organization_id=action.organization_id, verb=verb, action=action, summary=summary)
    return len(rows)


def items_release_stuck(*, now: datetime | None = None) -> int:
    """Rows in flight past their lease go back to the queue, or fail once out of attempts."""
    now = now or timezone.now()
    stuck = Q(status=Status.IN_FLIGHT, claimed_at__lt=now - LEASE)
    cleared = {"claimed_at": None, "claim_token": None}
    failed = items_transition(
        where=stuck & Q(attempts__gte=MAX_ATTEMPTS), status=Status.FAILED, fields={**cleared, "last_error": LOST_TEXT}
    )
    back = items_transition(where=stuck, status=Status.PENDING, fields={**cleared, "not_before": now})
    return len(failed) + len(back)
