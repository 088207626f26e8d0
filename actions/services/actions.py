from collections.abc import Iterable

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone

from actions import definitions
from actions.errors import Conflict
from actions.models import Action, ActionRecipient
from engagement.models import AuditEvent
from engagement.services.audit import audit_record_by
from orgs.models import Organization
from reporting.contrib import Deltas, recipient_contrib
from reporting.stats import stats_write


@transaction.atomic
def action_create(
    *,
    organization: Organization,
    created_by: AbstractUser | None,
    name: str,
    initial_script: str,
    tags: list | None = None,
    custom_fields: list | None = None,
    response_scripts: list | None = None,
) -> Action:
    action = Action.objects.create(
        organization=organization,
        created_by=created_by,
        name=name,
        initial_script=initial_script,
        tags=definitions.clean_tags(tags or []),
        custom_fields=definitions.clean_custom_fields(custom_fields or []),
        response_scripts=definitions.clean_response_scripts(response_scripts or []),
    )
    verb = AuditEvent.Verb.ACTION_CREATE
    audit_record_by(created_by, organization_id=organization.id, verb=verb, action=action, summary={"name": name})
    return action


def action_send_to_users(*, action: Action, user_ids: Iterable[int], deltas: Deltas | None = None) -> int:
    """Send the action to users (a recipient row each); returns how many are new. Run in a
    transaction; pass `deltas` to fold the counts into the caller's own write."""
    own = deltas is None
    deltas = deltas if deltas is not None else Deltas()
    Action.objects.select_for_update(no_key=True).filter(pk=action.pk).first()  # serialises senders of one action
    wanted = set(user_ids)
    existing = set(ActionRecipient.objects.filter(action=action, user_id__in=wanted).values_list("user_id", flat=True))
    now = timezone.now()
    created = [
        ActionRecipient(organization_id=action.organization_id, action=action, user_id=uid, sent_at=now)
        for uid in sorted(wanted - existing)
    ]
    ActionRecipient.objects.bulk_create(created)
    for recipient in created:
        recipient_contrib(recipient, action.id, deltas, +1)
    if own:
        stats_write(deltas)
    return len(created)


@transaction.atomic
def action_send(*, action: Action, user_ids: Iterable[int], actor: AbstractUser | None = None) -> int:
    """Send the action to users; a draft goes live. An admin's send (`actor`) is audited."""
    user_ids = sorted(set(user_ids))
    created = action_send_to_users(action=action, user_ids=user_ids)
    if action.status == Action.Status.DRAFT:
        action.status = Action.Status.LIVE
        action.save(update_fields=["status"])
    summary = {"user_ids": user_ids, "new_recipients": created}
    audit_record_by(
        actor, organization_id=action.organization_id, verb=AuditEvent.Verb.ACTION_SEND, action=action, summary=summary
    )
    return created


@transaction.atomic
def action_set_status(*, action: Action, status: str, actor: AbstractUser | None = None) -> Action:
    if status not in Action.Status.values:
        raise Conflict(f"unknown status {status!r}")
    before, action.status = action.status, status
    action.save(update_fields=["status"])
    summary = {"from": before, "to": status}
    audit_record_by(
        actor, organization_id=action.organization_id, verb=AuditEvent.Verb.ACTION_STATUS, action=action, summary=summary
    )
    return action


RECIPIENT_EVENTS = ("seen", "start", "complete")


@transaction.atomic
def recipient_record(*, action: Action, user: AbstractUser, event: str) -> ActionRecipient:
    """The volunteer saw, started or completed the action (each completion counts)."""
    recipient = ActionRecipient.objects.select_for_update().filter(action=action, user=user).first()
    if recipient is None:
        raise Conflict("this action was not sent to you")
    deltas = Deltas()
    recipient_contrib(recipient, action.id, deltas, -1)
    now = timezone.now()
    if event == "seen":
        recipient.seen_at = recipient.seen_at or now
    elif event == "start":
        recipient.seen_at = recipient.seen_at or now
        recipient.started_at = recipient.started_at or now
    elif event == "complete":
        recipient.seen_at = recipient.seen_at or now
        recipient.started_at = recipient.started_at or now
        recipient.first_completed_at = recipient.first_completed_at or now
        recipient.completions += 1
    else:
        raise ValueError(event)
    recipient.last_active_at = now
    recipient.save()
    recipient_contrib(recipient, action.id, deltas, +1)
    stats_write(deltas)
    return recipient


def recipient_touch(*, action_id: int, user_id: int, at) -> None:
    ActionRecipient.objects.filter(action_id=action_id, user_id=user_id).update(last_active_at=at)
