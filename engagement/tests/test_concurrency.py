"""Re-assigning while replies arrive through the applier and while the source volunteer
sends and reports, on PostgreSQL with real threads and connections: no conversation is
lost or ends with an owner outside the play, no reply is dropped, and every aggregate
equals a recount afterwards."""

import random
import threading

import pytest
from django.db import connection

from actions.errors import Conflict
from actions.models import Conversation, Message, TwilioEvent
from actions.services.actions import action_send
from actions.twilio.applier import events_apply, events_apply_all
from engagement.models import Reassignment
from engagement.services.reassign import reassignment_create, reassignment_undo
from reporting.recompute import recompute_stats
from tests.factories import make_member

from .helpers import conversations, inbound_event, report, send

pytestmark = pytest.mark.slow


class Crew:
    """Threads started together; any exception a thread raises fails the test."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.start_line = threading.Barrier(1)

    def add(self, fn) -> None:
        def run():
            try:
                self.start_line.wait()
                fn()
            except BaseException as exc:
                self.errors.append(exc)
            finally:
                connection.close()

        self.threads.append(threading.Thread(target=run))

    def run(self) -> None:
        self.start_line = threading.Barrier(len(self.threads))
        for t in self.threads:
            t.start()
        for t in self.threads:
            t.join(timeout=240)
        assert not any(t.is_alive() for t in self.threads)
        assert not self.errors, self.errors


def test_reassign_while_replies_arrive_and_the_source_sends(transactional_db, org, action, admin_user, twilio):
    ann, bob, carol = (make_member(org) for _ in range(3))
    action_send(action=action, user_ids=[ann.id])
    convs = conversations(action, ann, 90)
    texted = convs[:60]
    for conv in texted:
        send(conv, ann)
    rng = random.Random(5)
    tally = {"replies": 0, "initials": 0, "follow_ups": 0, "moved": 0}

    def replies():
        for i, conv in enumerate(rng.sample(texted, 50) + rng.sample(texted, 20)):
            inbound_event(conv, rng.choice(["Yes", "No", "Who is this?", "STOP", "maybe"]))
            tally["replies"] += 1
            if i % 4 == 3:
                events_apply()

    def volunteer():
        for conv in convs:
            initial = not Conversation.objects.get(pk=conv.id).has_initial
            try:
                send(conv, ann, None if initial else "Thanks for getting back to me")
                tally["initials" if initial else "follow_ups"] += 1
                if conv.id % 3 == 0:
                    report(conv, ann, ["supporter"])
            except Conflict:
                pass  # opted out a moment ago, or its initial went already: the API's 409

    def admin():
        rounds = [
            dict(from_user_id=ann.id, to_user_ids=[bob.id], scope="needs_attention"),
            dict(from_user_id=ann.id, to_user_ids=[bob.id, carol.id], scope="unsent"),
            dict(from_user_id=bob.id, to_user_ids=[carol.id], scope="all"),
            dict(from_user_id=ann.id, to_user_ids=[carol.id], scope="needs_attention"),
            dict(from_user_id=carol.id, to_user_ids=[ann.id, bob.id], scope="all"),
        ]
        for i, kwargs in enumerate(rounds * 2):
            record = reassignment_create(action=action, created_by=admin_user, **kwargs)
            tally["moved"] += record.moved
            if i % 3 == 1:
                reassignment_undo(reassignment=record, by=admin_user)

    crew = Crew()
    for job in (replies, volunteer, admin):
        crew.add(job)
    crew.run()
    events_apply_all()

    assert tally["moved"] > 0 and tally["initials"] > 0 and tally["follow_ups"] > 0
    assert Reassignment.objects.count() == 10
    assert not TwilioEvent.objects.filter(applied_at__isnull=True).exists()
    inbound = Message.objects.filter(action=action, direction=Message.Direction.INBOUND)
    assert inbound.count() == tally["replies"] == 70
    assert not inbound.filter(conversation__isnull=True).exists()
    holders = Conversation.objects.filter(action=action).values_list("assigned_user_id", flat=True)
    assert len(holders) == 90 and set(holders) <= {ann.id, bob.id, carol.id}
    assert recompute_stats(action) == []
