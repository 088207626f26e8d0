"""What a volunteer does with conversations: claim a batch, send, report, opt a contact out."""

from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, connection, transaction

from actions import definitions
from actions.errors import Conflict, Invalid
from actions.models import Action, ActionRecipient, Conversation, Message, OptOut, Report
from actions.signals import report_filed
from orgs.db import is_postgres
from p2p_admin.queueing import enqueue_on_commit
from reporting.contrib import report_values
from reporting.ledger import Ledger

from .actions import recipient_touch
from .optouts import phone_opt_out


def _require_working(action: Action, user: AbstractUser) -> None:
    if action.status != Action.Status.LIVE:
        raise Conflict(f"the action is {action.status}, not live")
    if not ActionRecipient.objects.filter(action=action, user=user).exists():
        raise Conflict("this action was not sent to you")


@transaction.atomic
def conversation_claim_batch(*, action: Action, user: AbstractUser, size: int) -> list[int]:
    """Up to `size` unassigned, unsent contacts become the user's. Two volunteers asking at
    the same moment never get the same one (SKIP LOCKED)."""
    _require_working(action, user)
    if size <= 0:
        return []
    skip = " SKIP LOCKED" if is_postgres() else ""
    lock = f" FOR UPDATE{skip}" if is_postgres() else ""
    table = Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE action_id = %s AND assigned_user_id IS NULL AND has_initial = %s"
            f" AND contact_opted_out = %s ORDER BY id LIMIT %s{lock}",
            [action.id, False, False, size],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    ledger = Ledger()
    for conv in ledger.lock(ids).values():
        conv.assigned_user_id = user.id
    ledger.commit()
    recipient_touch(action_id=action.id, user_id=user.id, at=ledger.now)
    return sorted(ids)


def _transaction_send_after_commit(message_id: int) -> None:
    from actions.tasks import message_send

    # Should the broker be away, messages_sweep dispatches the pending text (p2p_admin.queueing).
    enqueue_on_commit(message_send, (message_id,))


@transaction.atomic
def conversation_send_message(
    *, conversation: Conversation, sent_by: AbstractUser, body: str | None = None, response_script: str | None = None
) -> Message:
    """`body` and `response_script` both None: the initial. The message row is committed
    before Twilio is asked, so a retry or a double tap can never text twice."""
    from actions.links import rewrite_links

    ledger = Ledger()
    conv = ledger.lock_one(conversation.id)
    action = conv.action
    if action.status != Action.Status.LIVE:
        raise Conflict(f"the action is {action.status}, not live")
    if conv.contact_opted_out or OptOut.objects.filter(organization_id=conv.organization_id, phone=conv.contact.phone).exists():
        raise Conflict("the contact has opted out; nothing was sent")
    initial = body is None and response_script is None
    script_key = ""
    if initial:
        if conv.has_initial:
            raise Conflict("this conversation already has its initial message")
        text = definitions.render_script(action.initial_script, conv.contact)
        kind = Message.Kind.INITIAL
    else:
        if not conv.has_initial:
            raise Conflict("send the initial message first")
        if response_script is not None:
            script = action.response_script(response_script)
            if script is None:
                raise Invalid({"response_script": f"{response_script!r} is not a response script of this action"})
            text, script_key = definitions.render_script(script["body"], conv.contact), script["key"]
        else:
            text = body
        if not text or not text.strip():
            raise Invalid({"body": "must not be empty"})
        kind = Message.Kind.FOLLOW_UP
    awaiting_answer = conv.last_inbound_at is not None and (
        conv.last_outbound_ok_at is None or conv.last_inbound_at >= conv.last_outbound_ok_at
    )
    message = Message(
        answer_seconds=max(0, int((ledger.now - conv.last_inbound_at).total_seconds()))
        if awaiting_answer and not initial
        else None,
        organization_id=conv.organization_id,
        action=action,
        conversation=conv,
        phone=conv.contact.phone,
        direction=Message.Direction.OUTBOUND,
        kind=kind,
        body=rewrite_links(text, conversation=conv),
        status="pending",
        sent_by=sent_by,
        response_script=script_key,
        created_at=ledger.now,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError as exc:
        # PostgreSQL names the constraint; SQLite names the column of the partial unique index.
        if not any(name in str(exc) for name in ("one_initial_per_conversation", "actions_message.conversation_id")):
            raise
        raise Conflict("this conversation already has its initial message") from None
    conv.has_initial = True
    conv.last_outbound_at = conv.last_outbound_ok_at = conv.last_message_at = ledger.now
    ledger.add_new_message(message)
    ledger.commit()
    recipient_touch(action_id=action.id, user_id=sent_by.id, at=ledger.now)
    _transaction_send_after_commit(message.id)
    return message


@transaction.atomic
def conversation_file_report(*, conversation: Conversation, author: AbstractUser, tags, custom_fields) -> Report:
    ledger = Ledger()
    conv = ledger.lock_one(conversation.id)
    action = conv.action
    clean_tags, clean_fields = definitions.clean_report(action, tags, custom_fields)
    before = report_values(conv.latest_report.tags, conv.latest_report.custom_fields) if conv.latest_report_id else ()
    report = Report.objects.create(
        organization_id=conv.organization_id,
        action=action,
        conversation=conv,
        author=author,
        tags=clean_tags,
        custom_fields=clean_fields,
    )
    conv.report_count += 1
    conv.latest_report = report
    ledger.set_report_values(conv, before, report_values(clean_tags, clean_fields))
    ledger.deltas.add(("action", action.id), reports=1)
    ledger.deltas.add(("user", action.id, author.id), reports=1)
    ledger.commit()
    recipient_touch(action_id=action.id, user_id=author.id, at=ledger.now)
    report_filed.send(sender=Report, report=report)
    return report


@transaction.atomic
def conversation_opt_out(*, conversation: Conversation, by: AbstractUser | None = None) -> Conversation:
    ledger = Ledger()
    conv = ledger.lock_one(conversation.id)
    phone_opt_out(
        ledger, organization_id=conv.organization_id, phone=conv.contact.phone, source=OptOut.Source.MANUAL, conversation=conv
    )
    ledger.commit()
    return conv
