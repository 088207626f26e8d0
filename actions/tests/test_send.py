"""The sender: Twilio gets each text once. Retries only when the request surely never reached
Twilio; otherwise the message is `unknown` and looked up before any resend."""

import socket
from datetime import timedelta

import pytest

from actions.models import Message, OptOut
from actions.services.conversations import conversation_opt_out, conversation_send_message
from actions.twilio import client as twilio_client_module
from actions.twilio.send import message_dispatch, messages_redispatch
from tests.factories import ContactFactory, add_conversation, send_action

from .helpers import assert_exact, deliver, stats, texted_conversation


@pytest.fixture
def world(org, volunteer, action, twilio_sim):
    send_action(action, volunteer)
    return org, volunteer, action, twilio_sim


def queued(action, volunteer, phone=None) -> Message:
    """An initial saved by the volunteer API whose send task has not run yet."""
    contact = ContactFactory(organization=action.organization, **({"phone": phone} if phone else {}))
    conv = add_conversation(action, contact, user=volunteer)
    return conversation_send_message(conversation=conv, sent_by=volunteer)


def age(message: Message, seconds: int) -> None:
    """Move the message's last attempt into the past (instead of sleeping through a grace period)."""
    Message.objects.filter(id=message.id).update(status_updated_at=message.status_updated_at - timedelta(seconds=seconds))


def test_an_accepted_initial_carries_its_sid_and_counts(world):
    org, volunteer, action, sim = world
    message = queued(action, volunteer)
    assert stats(action)["initial_messages"] == 0
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "accepted" and message.twilio_sid.startswith("SM") and message.send_attempts == 1
    sent = sim.messages[message.twilio_sid]
    assert (sent.to, sent.body, sent.messaging_service_sid) == (message.phone, message.body, org.messaging_service_sid)
    assert sent.status_callback == "http://testserver/webhooks/twilio/status/"
    assert stats(action)["initial_messages"] == 1
    deliver(sim)
    message.refresh_from_db()
    assert message.status == "delivered" and stats(action)["delivered"] == 1
    assert_exact(action)


def test_a_second_dispatch_is_a_no_op(world):
    _, volunteer, action, sim = world
    message = queued(action, volunteer)
    for _ in range(3):
        message_dispatch(message_id=message.id)
    assert sim.counts["created"] == 1
    assert stats(action)["initial_messages"] == 1


def test_an_invalid_number_is_recorded_as_a_twilio_error(world):
    _, volunteer, action, sim = world
    sim.rates.invalid_21211 = 1.0
    message = queued(action, volunteer)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert (message.status, message.error_code, message.twilio_sid) == ("failed", 21211, None)
    assert "not a valid phone number" in message.error_message
    s = stats(action)
    assert (s["twilio_errors"], s["initial_messages"]) == (1, 0)
    assert message.conversation.last_error_code == 21211
    assert_exact(action)


def test_a_21610_refusal_records_the_failure_and_the_opt_out(world):
    org, volunteer, action, sim = world
    message = queued(action, volunteer)
    sim.stopped.add((org.twilio_account_sid, message.phone))  # the contact texted STOP to Twilio directly
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", 21610)
    assert OptOut.objects.get(organization=org, phone=message.phone).source == "twilio_21610"
    conv = message.conversation
    conv.refresh_from_db()
    assert conv.contact_opted_out and conv.opted_out_at is not None
    s = stats(action)
    assert (s["opt_outs"], s["twilio_errors"]) == (1, 1)
    assert_exact(action)


def test_a_rate_limited_text_goes_back_to_pending_and_is_sent_once_later(world):
    _, volunteer, action, sim = world
    sim.rates.fault_429 = 1.0
    message = queued(action, volunteer)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "pending" and "rate limit" in message.error_message
    sim.rates.fault_429 = 0.0
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "accepted" and message.send_attempts == 2
    assert sim.counts["created"] == 1


def test_connection_refused_is_retried(world, settings):
    _, volunteer, action, sim = world
    real = settings.TWILIO_API_BASE_URL
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{s.getsockname()[1]}"  # bound, not listening: refused
        message = queued(action, volunteer)
        message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "pending" and "unreachable" in message.error_message
    settings.TWILIO_API_BASE_URL = real
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "accepted" and sim.counts["created"] == 1


def test_a_server_error_after_twilio_created_the_text_never_sends_it_twice(world):
    _, volunteer, action, sim = world
    sim.rates.fault_500_after_create = 1.0
    message = queued(action, volunteer)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "unknown" and message.twilio_sid is None
    sim.rates.fault_500_after_create = 0.0
    message_dispatch(message_id=message.id)  # inside the grace period: nothing happens
    assert sim.counts["created"] == 1
    age(message, 3600)
    message_dispatch(message_id=message.id)  # looked up in Twilio's list, found, not resent
    message.refresh_from_db()
    assert message.status == "accepted" and message.twilio_sid in sim.messages
    assert sim.counts["created"] == 1
    assert stats(action)["initial_messages"] == 1
    deliver(sim)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert_exact(action)


def test_a_server_error_before_twilio_created_the_text_sends_it_after_the_lookup(world):
    _, volunteer, action, sim = world
    sim.rates.fault_500 = 1.0
    message = queued(action, volunteer)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "unknown"
    sim.rates.fault_500 = 0.0
    age(message, 3600)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "accepted" and sim.counts["created"] == 1


def test_a_lookup_that_fails_keeps_the_text_unknown(world, settings):
    _, volunteer, action, sim = world
    sim.rates.fault_500 = 1.0
    message = queued(action, volunteer)
    message_dispatch(message_id=message.id)
    sim.rates.fault_500 = 0.0
    message.refresh_from_db()
    age(message, 3600)
    real = settings.TWILIO_API_BASE_URL
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{s.getsockname()[1]}"
        message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "unknown" and "could not look" in message.error_message
    settings.TWILIO_API_BASE_URL = real
    age(message, 3600)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "accepted" and sim.counts["created"] == 1


def test_a_read_timeout_is_unknown_then_reconciled(world, monkeypatch):
    _, volunteer, action, sim = world
    monkeypatch.setattr(twilio_client_module, "READ_TIMEOUT", 0.5)
    twilio_client_module._client.cache_clear()
    sim.rates.fault_slow, sim.rates.slow_seconds = 1.0, 2.0
    message = queued(action, volunteer)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "unknown" and "no answer" in message.error_message
    sim.rates.fault_slow = 0.0
    age(message, 3600)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "accepted" and sim.counts["created"] == 1


def test_a_worker_killed_mid_call_leaves_unknown_and_the_sweep_reconciles(world):
    _, volunteer, action, sim = world
    message = queued(action, volunteer)
    message_dispatch(message_id=message.id)  # Twilio got it ...
    sid = Message.objects.get(id=message.id).twilio_sid
    # ... but the worker died before committing: the row is as the claim left it.
    Message.objects.filter(id=message.id).update(status="unknown", twilio_sid=None)
    message.refresh_from_db()
    age(message, 3600)
    assert messages_redispatch() == 1  # eager in tests: dispatched right here
    message.refresh_from_db()
    assert (message.status, message.twilio_sid) == ("accepted", sid)
    assert sim.counts["created"] == 1


def test_a_stuck_pending_text_is_dispatched_by_the_sweep(world):
    _, volunteer, action, sim = world
    message = queued(action, volunteer)  # its task was lost
    assert messages_redispatch() == 0  # too fresh to be called stuck
    Message.objects.filter(id=message.id).update(created_at=message.created_at - timedelta(hours=1))
    assert messages_redispatch() == 1
    message.refresh_from_db()
    assert message.status == "accepted" and sim.counts["created"] == 1
    assert messages_redispatch() == 0


def test_an_opted_out_phone_is_never_texted(world):
    _, volunteer, action, sim = world
    message = queued(action, volunteer)
    conversation_opt_out(conversation=message.conversation, by=volunteer)
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "canceled" and sim.counts["created"] == 0
    assert stats(action)["initial_messages"] == 0
    assert_exact(action)


def test_a_text_that_waited_too_long_is_given_up(world, settings):
    _, volunteer, action, sim = world
    message = queued(action, volunteer)
    settings.TWILIO_SEND_MAX_AGE_SECONDS = 0
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "failed" and sim.counts["created"] == 0
    assert stats(action)["twilio_errors"] == 1
    assert_exact(action)


def test_an_organization_without_credentials_sends_nothing(world):
    org, volunteer, action, sim = world
    message = queued(action, volunteer)
    org.messaging_service_sid = ""
    org.save()
    message_dispatch(message_id=message.id)
    message.refresh_from_db()
    assert message.status == "failed" and "credentials" in message.error_message
    assert sim.counts["created"] == 0


def test_links_in_a_text_are_rewritten_before_twilio_sees_them(world):
    _, volunteer, action, sim = world
    conv, _ = texted_conversation(action, volunteer)
    follow_up = conversation_send_message(conversation=conv, sent_by=volunteer, body="Details: https://example.org/vote?x=1.")
    message_dispatch(message_id=follow_up.id)
    follow_up.refresh_from_db()
    link = conv.links.get()
    assert sim.messages[follow_up.twilio_sid].body == f"Details: http://testserver/l/{link.code}."
    assert link.url == "https://example.org/vote?x=1"
