"""What the Twilio pipeline's tests share: signing like Twilio, posting webhooks, building
conversations through the real send path, and checking every figure against recompute."""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator

from actions.models import Conversation, Message
from actions.services.conversations import conversation_send_message
from actions.twilio.applier import events_apply_all, events_unpark
from actions.twilio.client import INBOUND_PATH, STATUS_CALLBACK_PATH
from actions.twilio.send import message_dispatch
from actions.twilio.simulator import Rates
from reporting.ledger import CONVERSATION_STATE_FIELDS
from reporting.models import ActionStats
from reporting.recompute import recompute_stats
from tests.factories import ContactFactory, add_conversation

STATUS = STATUS_CALLBACK_PATH
INBOUND = INBOUND_PATH


def quiet_rates() -> Rates:
    """Every text delivered, no replies, no delays (a fresh object: tests change its faults)."""
    return Rates(undelivered_30007=0, undelivered_30003=0, failed_30034=0, reply=0, delay_min=0, delay_max=0)


def sign(token: str, path: str, params: dict) -> str:
    return RequestValidator(token).compute_signature(settings.PUBLIC_BASE_URL + path, params)


def post_webhook(client: Client, path: str, params: dict, *, token: str | None = None, signature: str | None = None):
    headers = {}
    if signature is None and token is not None:
        signature = sign(token, path, params)
    if signature is not None:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    return client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded", **headers)


def status_params(org, sid: str, status: str, error_code: int | None = None, to: str = "+12025550100") -> dict:
    params = {
        "AccountSid": org.twilio_account_sid,
        "ApiVersion": "2010-04-01",
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "MessagingServiceSid": org.messaging_service_sid,
        "To": to,
        "From": "+15005550006",
    }
    if error_code:
        params["ErrorCode"] = str(error_code)
    return params


def inbound_params(org, sid: str, phone: str, body: str) -> dict:
    return {
        "AccountSid": org.twilio_account_sid,
        "ApiVersion": "2010-04-01",
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "From": phone,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }


def send_status(client: Client, org, sid: str, status: str, error_code: int | None = None):
    return post_webhook(client, STATUS, status_params(org, sid, status, error_code), token=org.twilio_auth_token)


def send_inbound(client: Client, org, sid: str, phone: str, body: str):
    return post_webhook(client, INBOUND, inbound_params(org, sid, phone, body), token=org.twilio_auth_token)


def texted_conversation(action, user, contact=None) -> tuple[Conversation, Message]:
    """A conversation whose initial went through the real sender (to the simulator)."""
    conv = add_conversation(action, contact or ContactFactory(organization=action.organization), user=user)
    message = conversation_send_message(conversation=conv, sent_by=user)
    # What the message_send task does once the test's transaction would have committed.
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    conv.refresh_from_db()
    return conv, message


def deliver(sim, client: Client | None = None) -> int:
    """Post every callback and reply the simulator holds to the webhooks, then apply them."""
    client = client or Client()
    delivered = 0
    while (item := sim.next_due(wait=False)) is not None:
        sim.deliver(item, lambda url, params, sig: post_webhook(client, urlsplit(url).path, params, signature=sig).status_code)
        delivered += 1
    events_unpark()
    events_apply_all()
    return delivered


def stats(action) -> dict:
    rows = ActionStats.objects.filter(action=action)
    names = [f.name for f in ActionStats._meta.concrete_fields if f.name not in ("id", "action", "shard")]
    return {n: sum(getattr(r, n) for r in rows) for n in names}


def conversation_state(action) -> dict:
    fields = [f for f in CONVERSATION_STATE_FIELDS if f != "needs_attention_since"]
    return {c["id"]: c for c in Conversation.objects.filter(action=action).values("id", *fields)}


def assert_exact(action) -> None:
    """Every aggregate and every conversation's derived field equals a rebuild from raw rows."""
    before = conversation_state(action)
    assert recompute_stats(action) == []
    assert conversation_state(action) == before
