"""Issue item 1: random streams through the real services, sender and applier — sends,
status callbacks shuffled and duplicated, inbound texts with STOP and START, reports,
manual opt-outs, recipients seeing, starting and completing, link clicks — leave every
aggregate equal to a rebuild from the raw tables (and every conversation's derived columns),
and the results API equal to an independent count."""

import contextlib

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from actions.errors import Conflict
from actions.models import Conversation, Message
from actions.services.actions import recipient_record
from actions.services.conversations import conversation_opt_out
from actions.tests.helpers import assert_exact, inbound_params, status_params
from actions.twilio.applier import events_apply_all, events_unpark
from actions.twilio.events import event_record
from actions.twilio.send import message_dispatch
from reporting.metrics import MESSAGE_PERFORMANCE, OVERVIEW
from reporting.tests.drive import click, report, send, start_work, upload
from reporting.tests.recount import recount
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db

CALLBACKS = [
    ("queued", None),
    ("sending", None),
    ("sent", None),
    ("delivered", None),
    ("read", None),
    ("undelivered", 30007),
    ("failed", 30004),
    ("undelivered", 30003),
    ("failed", 30034),
    ("canceled", None),
]
TEXTS = ["Yes!", "who is this?", "STOP", "stop.", "  Unsubscribe ", "START", "yes", "Quit", "ok https://example.org"]

op = st.one_of(
    st.tuples(st.just("initial"), st.integers(0, 5)),
    st.tuples(st.just("follow_up"), st.integers(0, 5), st.sampled_from([None, "thanks"])),
    st.tuples(st.just("callbacks"), st.integers(0, 10), st.lists(st.sampled_from(CALLBACKS), min_size=1, max_size=4)),
    st.tuples(st.just("inbound"), st.integers(0, 5), st.sampled_from(TEXTS)),
    st.tuples(
        st.just("report"),
        st.integers(0, 5),
        st.sampled_from([[], ["supporter"], ["undecided", "wrong number"]]),
        st.sampled_from(["", "1", "5"]),
        st.sampled_from(["", "18", "45.5"]),
    ),
    st.tuples(st.just("opt_out"), st.integers(0, 5)),
    st.tuples(st.just("recipient"), st.sampled_from(["seen", "start", "complete"])),
    st.tuples(st.just("click"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("apply"), st.randoms(use_true_random=False)),
)


class Stream:
    """Applies drawn operations; the Twilio side goes through stored events and the applier."""

    def __init__(self, org, user, action) -> None:
        self.org, self.user, self.action = org, user, action
        upload(action, 6)
        self.convs = start_work(action, user, size=6)
        self.pending: list[dict] = []  # events Twilio has sent but the webhook has not stored yet
        self.inbound_sids = 0

    def conv(self, i: int) -> Conversation:
        return self.convs[i % len(self.convs)]

    def run(self, step: tuple) -> None:
        kind, *args = step
        # A service may refuse (opted out, no initial yet…): then nothing may change.
        with contextlib.suppress(Conflict):
            getattr(self, kind)(*args)

    def initial(self, i: int) -> None:
        message = send(self.conv(i), self.user)
        message_dispatch(message_id=message.id)

    def follow_up(self, i: int, script: str | None) -> None:
        kwargs = {"response_script": script} if script else {"body": "More at https://example.org/vote"}
        message = send(self.conv(i), self.user, **kwargs)
        message_dispatch(message_id=message.id)

    def callbacks(self, i: int, statuses: list) -> None:
        sent = list(Message.objects.filter(action=self.action, direction="out", twilio_sid__isnull=False).order_by("id"))
        if sent:
            message = sent[i % len(sent)]
            for status, code in statuses:
                event = ("status", status_params(self.org, message.twilio_sid, status, code, to=message.phone))
                self.pending += [event, event]  # Twilio retries: at least once, often twice

    def inbound(self, i: int, text: str) -> None:
        self.inbound_sids += 1
        sid = f"SMin{self.action.id:08d}{self.inbound_sids:020d}"
        self.pending.append(("inbound", inbound_params(self.org, sid, self.conv(i).contact.phone, text)))

    def report(self, i: int, tags: list, support: str, age: str) -> None:
        fields = {k: v for k, v in {"support": support, "age": age}.items() if v}
        report(self.conv(i), self.user, tags, **fields)

    def opt_out(self, i: int) -> None:
        conversation_opt_out(conversation=self.conv(i), by=self.user)

    def recipient(self, event: str) -> None:
        recipient_record(action=self.action, user=self.user, event=event)

    def click(self, i: int, bot: bool) -> None:
        click(self.conv(i), bot=bot)

    def apply(self, rnd) -> None:
        """The webhooks store what arrived, in any order, and the applier runs."""
        rnd.shuffle(self.pending)
        for kind, payload in self.pending:
            event_record(organization=self.org, kind=kind, payload=payload)
        self.pending = []
        events_unpark()
        events_apply_all()


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(op, min_size=5, max_size=40), last=st.randoms(use_true_random=False))
def test_incremental_figures_equal_a_rebuild_and_an_independent_count(org, volunteer, admin_api, twilio_sim, steps, last):
    action = ActionFactory(organization=org)
    stream = Stream(org, volunteer, action)
    for step in steps:
        stream.run(step)
    stream.apply(last)
    assert_exact(action)  # every aggregate and derived column equals a rebuild from raw rows
    body = admin_api.get(f"/api/v1/actions/{action.id}/results/").json()
    expected = recount(action)
    assert body["overview"] == {m.key: expected[m.key] for m in OVERVIEW}
    assert body["message_performance"] == {m.key: expected[m.key] for m in MESSAGE_PERFORMANCE}
