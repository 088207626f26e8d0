"""Contact re-assignment (CONTRACT §3): move a user's conversations of an action to one or
several others, atomically, with an audit record and an undo."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from actions.errors import Conflict, Invalid
from actions.models import Action, ActionRecipient, Conversation
from actions.services.actions import action_send_to_users
from engagement.models import AuditEvent, Reassignment, ReassignmentMove
from engagement.selectors.reassign import ConversationFilter, reassignable_conversations
from orgs.db import retry_on_conflict
from reporting.contrib import Deltas

from .audit import audit_record
from .inbox import inbox_send
from .moves import conversations_move


def _check_users(organization_id: int, from_user_id: int, to_user_ids: list[int]) -> None:
    members = set(
        get_user_model()
        .objects.filter(membership__organization_id=organization_id, id__in=[from_user_id, *to_user_ids])
        .values_list("id", flat=True)
    )
    errors = {}
    if from_user_id not in members:
        errors["from_user"] = [f"User {from_user_id} is not a member of this organization."]
    outside = [u for u in to_user_ids if u not in members]
    if outside:
        errors["to_user"] = [f"User {u} is not a member of this organization." for u in outside]
    elif not to_user_ids:
        errors["to_user"] = ["Name at least one user to re-assign to."]
    elif from_user_id in to_user_ids:
        errors["to_user"] = ["Re-assign to someone other than the user the contacts are taken from."]
    if errors:
        raise Invalid(errors)


@retry_on_conflict
def _send_to_new_targets(action: Action, user_ids: list[int]) -> None:
    """Targets the action was not sent to get it first, in a transaction of its own: the
    action row lock it takes must not be held while the move waits for conversation locks
    (a writer holding a conversation takes a key-share lock on the action row for its
    foreign keys at commit, so holding both would deadlock)."""
    have = set(ActionRecipient.objects.filter(action=action, user_id__in=user_ids).values_list("user_id", flat=True))
    if set(user_ids) - have:
        action_send_to_users(action=action, user_ids=user_ids)


def reassignment_create(
    *,
    action: Action,
    created_by: AbstractUser | None,
    from_user_id: int,
    to_user_ids: list[int],
    scope: str,
    conversation_filter: ConversationFilter | None = None,
) -> Reassignment:
    """Move `from_user`'s conversations in `scope` (narrowed by the filter) to the targets,
    split evenly, in one transaction. A target the action was not sent to is sent it."""
    to_user_ids = list(dict.fromkeys(to_user_ids))
    _check_users(action.organization_id, from_user_id, to_user_ids)
    if scope not in Reassignment.Scope.values:
        raise Invalid({"scope": [f"must be one of {', '.join(Reassignment.Scope.values)}"]})
    _send_to_new_targets(action, to_user_ids)
    return _reassign(action, created_by, from_user_id, to_user_ids, scope, conversation_filter or ConversationFilter())


@transaction.atomic
def _reassign(
    action: Action,
    created_by: AbstractUser | None,
    from_user_id: int,
    to_user_ids: list[int],
    scope: str,
    conversation_filter: ConversationFilter,
) -> Reassignment:
    record = Reassignment.objects.create(
        organization_id=action.organization_id,
        action=action,
        created_by=created_by,
        from_user_id=from_user_id,
        to_user_ids=to_user_ids,
        scope=scope,
        filters=conversation_filter.as_dict(),
    )
    selection = reassignable_conversations(
        action=action, from_user_id=from_user_id, scope=scope, conversation_filter=conversation_filter
    )
    record.moved = conversations_move(
        selection=selection, action_id=action.id, to_user_ids=to_user_ids, reassignment_id=record.id, deltas=Deltas()
    )
    record.save(update_fields=["moved"])
    audit_record(
        organization_id=action.organization_id,
        actor=created_by,
        verb=AuditEvent.Verb.REASSIGN,
        action=action,
        subject=record,
        summary={
            "from_user": from_user_id,
            "to_users": to_user_ids,
            "scope": scope,
            "filters": record.filters,
            "moved": record.moved,
        },
    )
    if record.moved:
        inbox_send(
            organization_id=action.organization_id,
            user_ids=to_user_ids,
            sender=created_by,
            action=action,
            subject="Contacts re-assigned to you",
            body=f"Conversations of “{action.name}” were re-assigned to you: they are in your list for this action now.",
        )
    return record


@transaction.atomic
def reassignment_undo(*, reassignment: Reassignment, by: AbstractUser | None) -> Reassignment:
    """Move back exactly the conversations this re-assignment moved that their target still
    holds (one the target passed on, or that was re-assigned again, stays where it is)."""
    record = Reassignment.objects.select_for_update().get(pk=reassignment.pk)
    if record.undone_at is not None:
        raise Conflict("this re-assignment was already undone")
    still_held = ReassignmentMove.objects.filter(
        reassignment_id=record.id, conversation_id=OuterRef("id"), to_user_id=OuterRef("assigned_user_id")
    )
    selection = Conversation.objects.filter(Exists(still_held), action_id=record.action_id)
    record.undone_moved = conversations_move(
        selection=selection, action_id=record.action_id, to_user_ids=[record.from_user_id], reassignment_id=None, deltas=Deltas()
    )
    record.undone_at = timezone.now()
    record.undone_by = by
    record.save(update_fields=["undone_at", "undone_by", "undone_moved"])
    audit_record(
        organization_id=record.organization_id,
        actor=by,
        verb=AuditEvent.Verb.REASSIGN_UNDO,
        action=record.action,
        subject=record,
        summary={"reassignment": record.id, "moved_back": record.undone_moved, "kept": record.moved - record.undone_moved},
    )
    return record
