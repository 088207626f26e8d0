"""Driving an action the way volunteers and Twilio do, through the real services: texts go
through the real sender to the Twilio simulator (the `twilio` fixture), replies and status
callbacks through stored webhook events and the applier."""

import itertools

from actions.models import Action, Conversation, Message, TwilioEvent
from actions.services.conversations import conversation_file_report, conversation_opt_out, conversation_send_message
from actions.twilio.applier import events_apply
from actions.twilio.events import event_record
from actions.twilio.send import message_dispatch
from tests.factories import add_conversation

_sids = itertools.count(1)


def conversations(action: Action, user, n: int) -> list[Conversation]:
    return [add_conversation(action, user=user) for _ in range(n)]


def send(conversation: Conversation, user, body: str | None = None) -> Message:
    """The initial (body None) or a follow-up, handed to Twilio as the send task does."""
    message = conversation_send_message(conversation=conversation, sent_by=user, body=body)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    return message


def status(message: Message, value: str, error_code: int | None = None) -> None:
    """A status callback for the message, stored and applied."""
    payload = {"MessageSid": message.twilio_sid, "MessageStatus": value, "AccountSid": message.organization.twilio_account_sid}
    if error_code is not None:
        payload["ErrorCode"] = str(error_code)
    event_record(organization=message.organization, kind=TwilioEvent.Kind.STATUS, payload=payload)
    events_apply()


def inbound_event(conversation: Conversation, body: str = "Yes") -> None:
    """Store an inbound text from the contact as the webhook does (applied later)."""
    event_record(
        organization=conversation.organization,
        kind=TwilioEvent.Kind.INBOUND,
        payload={"MessageSid": f"SM{next(_sids):032d}", "From": conversation.contact.phone, "To": "+12025550000", "Body": body},
    )


def reply(conversation: Conversation, body: str = "Yes") -> None:
    """An inbound text from the contact, stored and applied."""
    inbound_event(conversation, body)
    events_apply()


def report(conversation: Conversation, user, tags=(), **fields):
    return conversation_file_report(conversation=conversation, author=user, tags=list(tags), custom_fields=fields)


def opt_out(conversation: Conversation, user=None) -> Conversation:
    return conversation_opt_out(conversation=conversation, by=user)
