"""The soak's verdict can fail: a small live action texted through the real sender, the
simulator and the webhooks passes every check, and breaking one fact at a time fails the check
that guards it."""

import pytest
from django.db.models import F

from actions.models import Conversation, Message, OptOut, TwilioEvent
from actions.services.optouts import keyword_of
from actions.tests.helpers import deliver, texted_conversation
from actions.twilio.client import INBOUND_PATH
from actions.twilio.simulator import Rates, Simulator, SimulatorServer
from bench.soak import verify
from reporting.models import ActionStats
from tests.factories import ActionFactory, make_member, send_action

TEXTS = 12


@pytest.fixture
def run(org, settings):
    """A consistent run, and what the simulator says about it."""
    volunteer = make_member(org)
    action = ActionFactory(organization=org)
    send_action(action, volunteer)
    rates = Rates(undelivered_30007=0.2, failed_30034=0.1, reply=0.7, stop=0.4, delay_min=0, delay_max=0)
    sim = Simulator(
        rates=rates,
        accounts={org.twilio_account_sid: org.twilio_auth_token},
        inbound_url=settings.PUBLIC_BASE_URL + INBOUND_PATH,
        seed=3,
    )
    server = SimulatorServer(sim, posters=0).start()
    settings.TWILIO_API_BASE_URL = server.base_url
    try:
        for _ in range(TEXTS):
            texted_conversation(action, volunteer)
        deliver(sim)
    finally:
        server.stop()
    posts = {kind: {"ok": sim.counts[f"posted_{kind}_ok"]} for kind in ("status", "inbound")}
    return verify.Evidence(
        org_id=org.id,
        action_id=action.id,
        simulator_posts=posts,
        simulator_messages=[m.resource() for m in sim.messages.values()],
        api_texts=TEXTS,
    )


def failed(ev: verify.Evidence) -> set[str]:
    return {c.name for c in verify.verdict(ev) if not c.ok}


def test_a_consistent_run_passes_every_check(run):
    assert TwilioEvent.objects.filter(organization_id=run.org_id, kind="inbound").exists()
    assert failed(run) == set()


def test_a_callback_the_simulator_sent_but_nobody_stored_fails(run):
    TwilioEvent.objects.filter(organization_id=run.org_id, kind="status").order_by("id").first().delete()
    assert verify.events_stored(run).ok is False


def test_a_post_the_app_did_not_acknowledge_fails(run):
    run.simulator_posts["status"]["500"] = 1
    assert "not acknowledged" in verify.events_stored(run).detail
    assert verify.events_stored(run).ok is False


def test_an_event_left_unapplied_or_parked_fails(run):
    event = TwilioEvent.objects.filter(organization_id=run.org_id).first()
    TwilioEvent.objects.filter(pk=event.pk).update(applied_at=None, waiting_for_sid=True)
    assert verify.events_applied(run).ok is False


def test_a_text_twilio_accepted_without_its_row_fails(run):
    Message.objects.filter(action_id=run.action_id, kind="initial").order_by("id").first().delete()
    assert verify.texts_match_twilio(run).ok is False


def test_a_row_behind_its_callbacks_fails(run):
    delivered = Message.objects.filter(action_id=run.action_id, status="delivered").order_by("id").first()
    Message.objects.filter(pk=delivered.pk).update(status="sent")
    assert verify.texts_match_twilio(run).ok is False


def test_a_text_the_simulator_never_saw_fails(run):
    run.simulator_messages.pop()
    assert verify.texts_match_twilio(run).ok is False


def test_a_text_still_pending_fails(run):
    Message.objects.filter(action_id=run.action_id, direction="out").update(status="pending")
    assert verify.texts_settled(run).ok is False


def test_more_rows_than_the_api_answered_201_for_fails(run):
    run_with_fewer = verify.Evidence(**{**run.__dict__, "api_texts": TEXTS - 1})
    assert verify.texts_settled(run_with_fewer).ok is False


def test_a_conversation_whose_initial_flag_disagrees_fails(run):
    conv = Conversation.objects.filter(action_id=run.action_id, has_initial=True).order_by("id").first()
    Conversation.objects.filter(pk=conv.pk).update(has_initial=False)
    assert verify.one_initial_each(run).ok is False


def test_a_reply_stored_as_an_event_but_not_as_a_text_fails(run):
    Message.objects.filter(organization_id=run.org_id, direction="in").order_by("id").first().delete()
    assert verify.inbound_once(run).ok is False


def test_a_stop_that_did_not_opt_out_fails(run):
    replies = Message.objects.filter(organization_id=run.org_id, direction="in").values_list("body", flat=True)
    assert any(keyword_of(body) == "out" for body in replies)
    OptOut.objects.filter(organization_id=run.org_id).delete()
    assert verify.opt_outs_hold(run).ok is False


def test_an_aggregate_off_by_one_fails(run):
    ActionStats.objects.filter(action_id=run.action_id, shard=0).update(delivered=F("delivered") + 1)
    assert verify.aggregates_exact(run).ok is False


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (verify.rate_reached, {"achieved": 300.0, "target": 280.0}, {"achieved": 279.0, "target": 280.0}),
        (verify.replays_acknowledged, {"posted": 10, "refused": {}}, {"posted": 10, "refused": {"status 429": 1}}),
        (verify.drivers_alive, {"crashed": []}, {"crashed": ["replayer: ValueError()"]}),
        (
            verify.processes_stayed_up,
            {"exits": []},
            {"exits": [{"name": "soak-worker-2", "code": 1, "t": 31.0, "last_error": "Unrecoverable error"}]},
        ),
        (
            verify.faults_injected,
            {"planned": 1, "done": [{"kind": "pg_terminate", "t": 5.0, "detail": "3 backends", "ok": True}]},
            {"planned": 1, "done": [{"kind": "worker_kill", "t": 5.0, "detail": "idle", "ok": False}]},
        ),
    ],
)
def test_the_run_level_checks_pass_and_fail(check, good, bad):
    assert check(**good).ok is True
    assert check(**bad).ok is False
