"""Driving an action through the real services, and the few Twilio-side facts (acceptance,
status callbacks, inbound texts, link clicks) through the Ledger the way their writers do,
so tests can build any state the results page must count."""

import itertools

from actions.links import link_click_record
from actions.models import Action, Conversation, Message, OptOut, TrackedLink
from actions.services.actions import action_send, recipient_record
from actions.services.contacts import contacts_upload
from actions.services.conversations import conversation_claim_batch, conversation_file_report, conversation_send_message
from actions.services.optouts import keyword_of, phone_opt_in, phone_opt_out
from reporting.ledger import Ledger

_sids = itertools.count(1)
_phones = itertools.count(1000)


def upload(action: Action, count: int) -> None:
    rows = "\n".join(f"+1415555{next(_phones):04d},Pat{i}" for i in range(count))
    contacts_upload(action=action, data=f"phone,first_name\n{rows}\n".encode())


def start_work(action: Action, user, size: int) -> list[Conversation]:
    """Send the action to the user, who sees and starts it and claims up to `size` contacts."""
    action_send(action=action, user_ids=[user.id])
    recipient_record(action=action, user=user, event="start")
    ids = conversation_claim_batch(action=action, user=user, size=size)
    return list(Conversation.objects.filter(id__in=ids).select_related("contact").order_by("id"))


def send(conversation: Conversation, user, **kwargs) -> Message:
    return conversation_send_message(conversation=conversation, sent_by=user, **kwargs)


def twilio_answer(message: Message, *, status: str = "queued", error_code: int | None = None) -> Message:
    """Twilio's API took the message (a SID) or refused it (`status="failed"` with a code, no SID)."""
    ledger = Ledger()
    conv = ledger.lock_one(message.conversation_id)
    message.refresh_from_db()
    ledger.track_message(message)
    refused = status == "failed" and error_code is not None and error_code < 30000
    message.twilio_sid = None if refused else f"SM{next(_sids):032x}"
    message.status, message.error_code = status, error_code
    message.save(update_fields=["twilio_sid", "status", "error_code"])
    _after_outbound_change(ledger, conv, message)
    if refused and error_code == 21610:
        phone_opt_out(
            ledger,
            organization_id=conv.organization_id,
            phone=conv.contact.phone,
            source=OptOut.Source.TWILIO_21610,
            conversation=conv,
            message=message,
        )
    ledger.commit()
    return message


def callback(message: Message, status: str, error_code: int | None = None) -> Message:
    """A status callback: the status only moves up CONTRACT §4's order."""
    ledger = Ledger()
    conv = ledger.lock_one(message.conversation_id)
    message.refresh_from_db()
    if Message.STATUS_RANK[status] > Message.STATUS_RANK[message.status]:
        ledger.track_message(message)
        message.status = status
        message.error_code = error_code if status in Message.FAILED_STATUSES else message.error_code
        message.save(update_fields=["status", "error_code"])
        _after_outbound_change(ledger, conv, message)
    ledger.commit()
    return message


def _after_outbound_change(ledger: Ledger, conv: Conversation, message: Message) -> None:
    if message.status in Message.FAILED_STATUSES:
        conv.last_error_code = message.error_code
        ok = conv.messages.filter(direction=Message.Direction.OUTBOUND).exclude(status__in=Message.FAILED_STATUSES)
        conv.last_outbound_ok_at = ok.exclude(pk=message.pk).order_by("-created_at").values_list("created_at", flat=True).first()


def inbound(conversation: Conversation, body: str) -> Message:
    ledger = Ledger()
    conv = ledger.lock_one(conversation.id)
    at = ledger.now
    latest_out = conv.messages.filter(direction=Message.Direction.OUTBOUND).order_by("-created_at", "-id").first()
    message = Message.objects.create(
        organization_id=conv.organization_id,
        action_id=conv.action_id,
        conversation=conv,
        phone=conv.contact.phone,
        direction=Message.Direction.INBOUND,
        kind=Message.Kind.INBOUND,
        body=body,
        twilio_sid=f"SM{next(_sids):032x}",
        status="received",
        reply_to_script=latest_out.response_script if latest_out else "",
        created_at=at,
    )
    conv.inbound_count += 1
    conv.last_inbound_at = conv.last_message_at = at
    ledger.add_new_message(message)
    keyword = keyword_of(body)
    args = {"organization_id": conv.organization_id, "phone": conv.contact.phone, "conversation": conv, "message": message}
    if keyword == "out":
        phone_opt_out(ledger, source=OptOut.Source.KEYWORD, **args)
    elif keyword == "in":
        phone_opt_in(ledger, **args)
    ledger.commit()
    return message


def report(conversation: Conversation, user, tags=(), **fields) -> None:
    conversation_file_report(conversation=conversation, author=user, tags=list(tags), custom_fields=fields)


def click(conversation: Conversation, *, bot: bool = False) -> None:
    link, _ = TrackedLink.objects.get_or_create(
        organization_id=conversation.organization_id,
        action_id=conversation.action_id,
        conversation=conversation,
        url="https://example.org/vote",
        defaults={"code": f"c{conversation.id}"},
    )
    link_click_record(code=link.code, user_agent="Twitterbot/1.0" if bot else "Mozilla/5.0 (iPhone)", method="GET")


def busy_action(action: Action, user, *, contacts: int = 12) -> list[Conversation]:
    """A small action with a bit of everything CONTRACT §4 counts."""
    upload(action, contacts)
    convs = start_work(action, user, size=contacts - 2)
    recipient_record(action=action, user=user, event="complete")
    outcomes = [
        "delivered",
        "delivered",
        "delivered",
        "undelivered:30007",
        "failed:30004",
        "undelivered:30003",
        "refused:21211",
        "refused:21610",
    ]
    for i, conv in enumerate(convs):
        message = send(conv, user)
        outcome = outcomes[i % len(outcomes)]
        if outcome.startswith("refused:"):
            twilio_answer(message, status="failed", error_code=int(outcome.split(":")[1]))
            continue
        twilio_answer(message)
        status, _, code = outcome.partition(":")
        callback(message, "sent")
        callback(message, status, int(code) if code else None)
    replied = [c for i, c in enumerate(convs) if outcomes[i % len(outcomes)] == "delivered"]
    for i, conv in enumerate(replied):
        inbound(conv, "STOP" if i == 2 else "Yes, count me in")
    for conv in replied[:2]:
        report(conv, user, tags=["supporter"], support="5", age="34")
        follow = send(conv, user, response_script="thanks")
        twilio_answer(follow)
        callback(follow, "delivered")
    inbound(replied[0], "Thanks!")
    click(replied[0])
    click(replied[0], bot=True)
    return convs
