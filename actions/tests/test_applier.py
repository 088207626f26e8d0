"""The event applier: statuses only move up (CONTRACT §4), inbound texts find their
conversation, keywords opt phones out and in, and every figure stays equal to a rebuild."""

import random

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from actions.errors import Conflict
from actions.models import Message, OptOut, OptOutEvent, TwilioEvent
from actions.services.conversations import conversation_file_report, conversation_send_message
from actions.twilio.applier import events_apply, events_apply_all
from actions.twilio.events import event_record
from actions.twilio.send import message_dispatch
from reporting.models import ActionBreakdown, ActionErrorStats
from tests.factories import ActionFactory, ContactFactory, add_conversation, send_action

from .helpers import assert_exact, send_inbound, send_status, stats, texted_conversation

RANK = Message.STATUS_RANK


@pytest.fixture
def world(org, volunteer, action, twilio_sim):
    send_action(action, volunteer)
    return org, volunteer, action


def apply_statuses(client, org, message, *statuses):
    for status in statuses:
        code = None
        if isinstance(status, tuple):
            status, code = status
        assert send_status(client, org, message.twilio_sid, status, code).status_code == 204
    events_apply_all()
    message.refresh_from_db()


def test_status_never_moves_backwards(client, world):
    org, volunteer, action = world
    _, message = texted_conversation(action, volunteer)
    apply_statuses(client, org, message, "delivered", "sent", "queued", "sending")
    assert message.status == "delivered"
    assert stats(action)["delivered"] == 1
    assert_exact(action)


def test_a_repeated_callback_changes_nothing(client, world):
    org, volunteer, action = world
    _, message = texted_conversation(action, volunteer)
    apply_statuses(client, org, message, ("undelivered", 30007), ("undelivered", 30007), ("undelivered", 30007))
    assert (message.status, message.error_code) == ("undelivered", 30007)
    s = stats(action)
    assert (s["carrier_filtering"], s["twilio_errors"]) == (1, 0)
    assert ActionErrorStats.objects.get(action=action, error_code=30007).count == 1
    assert_exact(action)


@pytest.mark.parametrize(
    ("statuses", "final", "figures"),
    [
        ([("undelivered", 30007), "delivered"], ("delivered", None), {"delivered": 1, "carrier_filtering": 0}),
        (["delivered", ("undelivered", 30007)], ("delivered", None), {"delivered": 1, "carrier_filtering": 0}),
        ([("failed", 30034), ("undelivered", 30003)], ("undelivered", 30003), {"twilio_errors": 1}),
        ([("undelivered", 30004), "sent"], ("undelivered", 30004), {"carrier_filtering": 1}),
        (["read", ("failed", 30008)], ("read", None), {"delivered": 1, "twilio_errors": 0}),
    ],
)
def test_the_error_code_goes_with_the_status_that_won(client, world, statuses, final, figures):
    org, volunteer, action = world
    _, message = texted_conversation(action, volunteer)
    apply_statuses(client, org, message, *statuses)
    assert (message.status, message.error_code) == final
    s = stats(action)
    assert {k: s[k] for k in figures} == figures
    assert_exact(action)


def test_a_failed_text_is_not_the_latest_message(client, world):
    org, volunteer, action = world
    conv, initial = texted_conversation(action, volunteer)
    send_inbound(client, org, "SM" + "1" * 32, conv.contact.phone, "Who is this?")
    events_apply_all()
    conversation_file_report(conversation=conv, author=volunteer, tags=["undecided"], custom_fields={})
    follow_up = conversation_send_message(conversation=conv, sent_by=volunteer, body="Jo from the campaign!")
    message_dispatch(message_id=follow_up.id)
    follow_up.refresh_from_db()
    conv.refresh_from_db()
    assert not conv.needs_attention and conv.last_outbound_ok_at == follow_up.created_at
    apply_statuses(client, org, follow_up, ("undelivered", 30003))
    conv.refresh_from_db()
    assert conv.last_outbound_ok_at == initial.created_at
    assert conv.last_error_code == 30003 and conv.needs_attention
    assert stats(action)["needs_attention"] == 1
    assert_exact(action)


def test_inbound_joins_the_conversation_with_the_latest_outbound_text_to_that_phone(client, world):
    org, volunteer, action = world
    later = ActionFactory(organization=org)
    send_action(later, volunteer)
    contact = ContactFactory(organization=org)
    first, _ = texted_conversation(action, volunteer, contact)
    second, _ = texted_conversation(later, volunteer, contact)
    send_inbound(client, org, "SM" + "2" * 32, contact.phone, "Yes")
    events_apply_all()
    reply = Message.objects.get(direction="in")
    assert (reply.conversation_id, reply.action_id, reply.status) == (second.id, later.id, "received")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.inbound_count, second.inbound_count) == (0, 1)
    assert second.needs_attention and second.last_inbound_at == reply.created_at
    assert (stats(action)["responses"], stats(later)["responses"]) == (0, 1)
    assert_exact(action)
    assert_exact(later)


def test_an_inbound_text_from_an_unknown_number_is_stored(client, world):
    org, _, action = world
    assert send_inbound(client, org, "SM" + "3" * 32, "+12025550999", "hello?").status_code == 200
    events_apply_all()
    reply = Message.objects.get(direction="in")
    assert (reply.conversation_id, reply.action_id, reply.phone, reply.body) == (None, None, "+12025550999", "hello?")
    assert TwilioEvent.objects.get().applied_at is not None
    assert_exact(action)


@pytest.mark.parametrize(
    "body", ["STOP", " stop ", "Stop!", "unsubscribe.", "QUIT", "stopall", "End", "revoke", "OptOut", "cancel"]
)
def test_an_opt_out_keyword_opts_the_phone_out_everywhere(client, world, body):
    org, volunteer, action = world
    other = ActionFactory(organization=org)
    send_action(other, volunteer)
    contact = ContactFactory(organization=org)
    older, _ = texted_conversation(other, volunteer, contact)
    latest, _ = texted_conversation(action, volunteer, contact)
    send_inbound(client, org, "SM" + "4" * 32, contact.phone, body)
    events_apply_all()
    older.refresh_from_db()
    latest.refresh_from_db()
    assert older.contact_opted_out and latest.contact_opted_out
    assert latest.opted_out_at is not None and older.opted_out_at is None
    assert OptOut.objects.get(organization=org, phone=contact.phone).source == "keyword"
    assert (stats(action)["opt_outs"], stats(other)["opt_outs"]) == (1, 0)
    assert not latest.needs_attention
    assert_exact(action)
    assert_exact(other)


@pytest.mark.parametrize("body", ["stop please", "don't stop", "STOP STOP", "yes stop"])
def test_a_sentence_containing_a_keyword_is_a_reply(client, world, body):
    org, volunteer, action = world
    conv, _ = texted_conversation(action, volunteer)
    send_inbound(client, org, "SM" + "5" * 32, conv.contact.phone, body)
    events_apply_all()
    conv.refresh_from_db()
    assert not conv.contact_opted_out and conv.needs_attention
    assert not OptOut.objects.exists()


def test_start_opts_back_in_without_lowering_the_opt_out_count(client, world):
    org, volunteer, action = world
    conv, _ = texted_conversation(action, volunteer)
    send_inbound(client, org, "SM" + "6" * 32, conv.contact.phone, "STOP")
    events_apply_all()
    send_inbound(client, org, "SM" + "7" * 32, conv.contact.phone, "Start")
    events_apply_all()
    conv.refresh_from_db()
    assert not conv.contact_opted_out and conv.opted_out_at is not None
    assert not OptOut.objects.exists()
    assert list(OptOutEvent.objects.order_by("id").values_list("kind", flat=True)) == ["out", "in"]
    s = stats(action)
    assert (s["opt_outs"], s["responses"]) == (1, 2)
    assert_exact(action)


def test_a_stop_from_an_unknown_number_still_opts_it_out(client, world):
    org, volunteer, action = world
    contact = ContactFactory(organization=org)
    send_inbound(client, org, "SM" + "8" * 32, contact.phone, "STOP")
    events_apply_all()
    assert OptOut.objects.filter(organization=org, phone=contact.phone).exists()
    conv = add_conversation(action, contact, user=volunteer)
    with pytest.raises(Conflict):
        conversation_send_message(conversation=conv, sent_by=volunteer)


def test_a_reply_remembers_the_response_script_it_answers(client, world):
    org, volunteer, action = world
    conv, _ = texted_conversation(action, volunteer)
    send_inbound(client, org, "SM" + "9" * 32, conv.contact.phone, "Sure")
    events_apply_all()
    thanks = conversation_send_message(conversation=conv, sent_by=volunteer, response_script="thanks")
    message_dispatch(message_id=thanks.id)
    send_inbound(client, org, "SM" + "a" * 32, conv.contact.phone, "You're welcome")
    events_apply_all()
    replies = dict(Message.objects.filter(direction="in").values_list("body", "reply_to_script"))
    assert replies == {"Sure": "", "You're welcome": "thanks"}
    rows = dict(ActionBreakdown.objects.filter(action=action, key="thanks").values_list("kind", "count"))
    assert rows == {"script_uses": 1, "script_replies": 1}
    assert_exact(action)


def test_events_apply_takes_one_batch_and_says_how_many_it_applied(world):
    org, _, _ = world
    for i in range(5):
        event_record(organization=org, kind="inbound", payload={"MessageSid": f"SM{i:032d}", "From": "+12025550123", "Body": "x"})
    assert [events_apply(limit=2) for _ in range(4)] == [2, 2, 1, 0]
    assert Message.objects.filter(direction="in").count() == 5


def test_a_status_callback_for_an_inbound_text_changes_nothing(client, world):
    org, _, _ = world
    send_inbound(client, org, "SM" + "b" * 32, "+12025550124", "hi")
    events_apply_all()
    send_status(client, org, "SM" + "b" * 32, "failed", 30003)
    events_apply_all()
    assert Message.objects.get().status == "received"
    assert TwilioEvent.objects.filter(applied_at__isnull=True).count() == 0


# --- any order, any repetition -----------------------------------------------------


def _script(rng: random.Random, n: int) -> list[tuple]:
    """What Twilio will say about n texted conversations: callbacks and replies."""
    out = []
    for i in range(n):
        final = rng.choice(
            [("delivered", None), ("undelivered", 30007), ("undelivered", 30003), ("failed", 30034), ("read", None)]
        )
        out += [("status", i, "queued", None), ("status", i, "sent", None), ("status", i, *final)]
        if final[0] in ("delivered", "read") and rng.random() < 0.6:
            out.append(("inbound", i, rng.choice(["STOP", "Yes!", "who is this", "maybe"]), None))
    return out


def _post(client, org, sids, phones, event, k=0):
    kind, i, value, code = event
    if kind == "status":
        send_status(client, org, sids[i], value, code)
    else:
        send_inbound(client, org, f"SM{i:016d}{k:016d}", phones[i], value)


def _state(action) -> dict:
    messages = Message.objects.filter(action=action)
    per_conv = {}
    for conv in action.conversations.select_related("contact").order_by("contact__phone"):
        outbound = [(m.status, m.error_code) for m in messages.filter(conversation=conv, direction="out")]
        per_conv[conv.contact.phone] = {
            "outbound": outbound,
            "inbound": sorted(messages.filter(conversation=conv, direction="in").values_list("body", flat=True)),
            "fields": (
                conv.inbound_count,
                conv.contact_opted_out,
                conv.opted_out_at is not None,
                conv.needs_attention,
                conv.last_error_code,
            ),
        }
    errors = dict(ActionErrorStats.objects.filter(action=action, count__gt=0).values_list("error_code", "count"))
    return {"conversations": per_conv, "stats": stats(action), "errors": errors}


def test_shuffled_and_tripled_callbacks_end_like_the_ordered_stream(client, org, other_org, volunteer, outsider, twilio_sim):
    rng = random.Random(20241127)
    phones = [f"+1202555{7000 + i:04d}" for i in range(12)]
    worlds = []
    for o, user in ((org, volunteer), (other_org, outsider)):
        act = ActionFactory(organization=o)
        send_action(act, user)
        sent = [texted_conversation(act, user, ContactFactory(organization=o, phone=p))[1] for p in phones]
        worlds.append((o, act, [m.twilio_sid for m in sent]))
    script = _script(rng, len(phones))
    (org_a, ordered, sids_a), (org_b, shuffled, sids_b) = worlds
    for event in script:
        _post(client, org_a, sids_a, phones, event)
    events_apply_all()
    # Each inbound text keeps its own SID across its three copies; everything is shuffled
    # and applied in small random batches in between.
    stream = [(event, n) for n, event in enumerate(script) for _ in range(3)]
    rng.shuffle(stream)
    for event, n in stream:
        _post(client, org_b, sids_b, phones, event, k=n)
        if rng.random() < 0.2:
            events_apply(limit=rng.randint(1, 5))
    events_apply_all()
    _post_ids = {(e[1], n) for e, n in stream if e[0] == "inbound"}
    assert len(_post_ids) == sum(1 for e in script if e[0] == "inbound")
    assert _state(shuffled) == _state(ordered)
    assert_exact(ordered)
    assert_exact(shuffled)


statuses = st.sampled_from([s for s in Message.STATUS_ORDER if s not in ("pending", "unknown")])
replies = st.sampled_from(["reply:STOP", "reply:Start", "reply:who is this?", "reply:yes"])
codes = st.sampled_from([None, 30003, 30004, 30007, 30008, 30034])
streams = st.lists(st.tuples(st.integers(0, 2), statuses | replies, codes, st.booleans()), max_size=25)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(stream=streams)
def test_any_stream_of_callbacks_and_replies_keeps_every_figure_exact(client, org, volunteer, twilio_sim, stream):
    action = ActionFactory(organization=org)
    send_action(action, volunteer)
    convs, messages = zip(*[texted_conversation(action, volunteer) for _ in range(3)], strict=True)
    expected = {i: ("accepted", None) for i in range(3)}
    seen = set()
    for n, (i, status, code, apply_now) in enumerate(stream):
        if status.startswith("reply:"):
            send_inbound(client, org, f"SM{action.id:016d}{n:016d}", convs[i].contact.phone, status.removeprefix("reply:"))
            continue
        send_status(client, org, messages[i].twilio_sid, status, code if status in Message.FAILED_STATUSES else None)
        if (i, status) not in seen:  # a later copy of the same status is a duplicate, whatever its code
            seen.add((i, status))
            if RANK[status] > RANK[expected[i][0]]:
                expected[i] = (status, code if status in Message.FAILED_STATUSES else None)
        if apply_now:
            events_apply(limit=3)
    events_apply_all()
    for i, message in enumerate(messages):
        message.refresh_from_db()
        assert (message.status, message.error_code) == expected[i]
    assert Message.objects.filter(direction="in", action=action).count() == sum(
        1 for _, s, _, _ in stream if s.startswith("reply:")
    )
    assert_exact(action)
