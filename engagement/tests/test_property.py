"""Incremental aggregates == a recount, with re-assignments and their undos interleaved at
random with sends, status callbacks, replies, reports and opt-outs (hypothesis)."""

import contextlib

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from actions.errors import Conflict
from actions.models import Conversation, Message
from engagement.models import Reassignment
from engagement.services.reassign import reassignment_create, reassignment_undo
from reporting.recompute import recompute_stats
from tests.factories import ActionFactory, make_member

from .helpers import conversations, opt_out, reply, report, send, status

CONVERSATIONS = 4
USERS = 3
conv_index = st.integers(0, CONVERSATIONS - 1)
user_index = st.integers(0, USERS - 1)

reassigns = st.tuples(
    st.just("reassign"),
    conv_index,  # from whoever holds this conversation now, so most re-assignments move something
    st.lists(user_index, min_size=1, max_size=2, unique=True),
    st.sampled_from(["all", "needs_attention", "unsent"]),
)
replies = st.tuples(st.just("reply"), conv_index, st.sampled_from(["Yes", "No thanks", "STOP", "start"]))
# Replies and re-assignments weigh double: they are what this test is about.
steps = st.one_of(
    st.tuples(st.just("send"), conv_index),
    replies,
    replies,
    st.tuples(st.just("status"), conv_index, st.sampled_from(["delivered", "undelivered"])),
    st.tuples(st.just("report"), conv_index, st.sampled_from(["supporter", "undecided"])),
    st.tuples(st.just("opt_out"), conv_index),
    reassigns,
    reassigns,
    st.tuples(st.just("undo"), st.integers(0, 5)),
)


def play(action, users, convs, admin, step) -> None:
    kind, *args = step
    if kind == "reassign":
        source = Conversation.objects.get(pk=convs[args[0]].pk).assigned_user_id
        targets = [users[i].id for i in args[1] if users[i].id != source]
        if targets:
            reassignment_create(action=action, created_by=admin, from_user_id=source, to_user_ids=targets, scope=args[2])
        return
    if kind == "undo":
        done = list(Reassignment.objects.filter(action=action, undone_at__isnull=True).order_by("id"))
        if done:
            reassignment_undo(reassignment=done[args[0] % len(done)], by=admin)
        return
    conv = Conversation.objects.select_related("contact", "organization").get(pk=convs[args[0]].pk)
    holder = conv.assigned_user
    if kind == "send":
        send(conv, holder, None if not conv.has_initial else "Following up")
    elif kind == "reply":
        if not conv.has_initial:
            send(conv, holder)
        reply(conv, args[1])
    elif kind == "status":
        latest = Message.objects.filter(conversation=conv, direction="out").exclude(twilio_sid=None).order_by("-id").first()
        if latest is not None:
            status(latest, args[1], 30007 if args[1] == "undelivered" else None)
    elif kind == "report":
        report(conv, holder, [args[1]])
    elif kind == "opt_out":
        opt_out(conv, holder)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(script=[("send", 0), ("reply", 0, "Yes"), ("reassign", 0, [1], "all")])
@example(
    script=[("send", 0), ("reply", 0, "Yes"), ("reassign", 0, [1, 2], "needs_attention"), ("report", 0, "supporter"), ("undo", 0)]
)
@given(script=st.lists(steps, min_size=4, max_size=14))
def test_incremental_equals_recompute_with_reassignments(org, admin_user, twilio, script):
    action = ActionFactory(organization=org)
    users = [make_member(org) for _ in range(USERS)]
    convs = [*conversations(action, users[0], 2), *conversations(action, users[1], 2)]
    assert len(convs) == CONVERSATIONS
    for step in script:
        with contextlib.suppress(Conflict):  # e.g. texting an opted-out contact: refused, nothing changes
            play(action, users, convs, admin_user, step)
    assert recompute_stats(action) == []
