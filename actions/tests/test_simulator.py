"""The Twilio simulator answers like Twilio's Messages API and posts signed callbacks and
replies back through the real webhooks; simulate_history builds a consistent demo history."""

import sys
import time

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from actions.models import Message, TwilioEvent
from actions.services.conversations import conversation_send_message
from actions.twilio.client import INBOUND_PATH, RebasedHttpClient
from actions.twilio.simulator import Rates, Simulator, SimulatorServer, simulate_history
from tests.factories import ActionFactory, ContactFactory, OrganizationFactory, add_conversation, make_member, send_action

from . import procs
from .helpers import assert_exact, stats

COMMAND_PORT = 8131


def api(org, sim_url: str, token: str | None = None) -> Client:
    return Client(org.twilio_account_sid, token or org.twilio_auth_token, http_client=RebasedHttpClient(sim_url))


@pytest.fixture
def served(twilio_sim, settings):
    return twilio_sim, settings.TWILIO_API_BASE_URL


def test_the_messages_api_answers_like_twilio(org, served):
    sim, url = served
    client = api(org, url)
    created = client.messages.create(to="+12025550161", body="Hi Ann", messaging_service_sid=org.messaging_service_sid)
    assert created.sid.startswith("SM") and len(created.sid) == 34 and created.status == "accepted"
    assert created.date_created is not None and created.messaging_service_sid == org.messaging_service_sid
    assert client.messages(created.sid).fetch().body == "Hi Ann"
    listed = client.messages.list(to="+12025550161", date_sent_after="2020-01-01")
    assert [m.sid for m in listed] == [created.sid]
    assert client.messages.list(to="+12025550162") == []
    with pytest.raises(TwilioRestException) as invalid:
        client.messages.create(to="555-0101", body="x", messaging_service_sid=org.messaging_service_sid)
    assert (invalid.value.status, invalid.value.code) == (400, 21211)
    sim.stopped.add((org.twilio_account_sid, "+12025550161"))
    with pytest.raises(TwilioRestException) as stopped:
        client.messages.create(to="+12025550161", body="x", messaging_service_sid=org.messaging_service_sid)
    assert (stopped.value.status, stopped.value.code) == (400, 21610)
    with pytest.raises(TwilioRestException) as denied:
        api(org, url, token="wrong").messages.create(to="+12025550163", body="x", messaging_service_sid="MG1")
    assert (denied.value.status, denied.value.code) == (401, 20003)


def test_outcomes_follow_the_configured_rates(org):
    sim = Simulator(
        rates=Rates(undelivered_30007=0.5, undelivered_30003=0, failed_30034=0, reply=0, delay_min=0, delay_max=0),
        accounts={"AC1": "t"},
        inbound_url="",
        seed=3,
    )
    for i in range(400):
        sim.create("AC1", {"To": f"+1202555{i:04d}", "Body": "x", "MessagingServiceSid": "MG1"})
    finals = [item for item in iter(lambda: sim.next_due(wait=False), None) if item[2] in ("delivered", "undelivered")]
    filtered = sum(1 for item in finals if item[3] == 30007)
    assert len(finals) == 400 and 160 < filtered < 240


def test_simulate_history_makes_a_consistent_history(org, action, volunteer, admin_user):
    for _ in range(40):
        add_conversation(action)
    send_action(action, volunteer, admin_user)
    done = simulate_history(organization=org, action=action, seed=5)
    s = stats(action)
    assert done["initials"] == s["initial_messages"] == 36
    assert s["delivered"] > 25 and s["responses"] > 5 and s["reports"] == done["reports"] > 0
    assert s["follow_ups"] == done["follow_ups"] > 0
    assert s["messages_remaining"] == 4
    assert s["completed"] == 2
    assert not TwilioEvent.objects.filter(applied_at__isnull=True).exists()
    assert_exact(action)


@pytest.mark.django_db(transaction=True)
def test_callbacks_and_replies_reach_a_live_server_signed(live_server, settings):
    org = OrganizationFactory()
    volunteer = make_member(org)
    action = ActionFactory(organization=org)
    settings.PUBLIC_BASE_URL = live_server.url
    sim = Simulator(
        rates=Rates(
            undelivered_30007=0,
            undelivered_30003=0,
            failed_30034=0,
            reply=1.0,
            stop=0,
            delay_min=0.01,
            delay_max=0.05,
            reply_delay_min=0.01,
            reply_delay_max=0.05,
        ),
        accounts={org.twilio_account_sid: org.twilio_auth_token},
        inbound_url=live_server.url + INBOUND_PATH,
        seed=1,
    )
    server = SimulatorServer(sim, posters=2).start()
    settings.TWILIO_API_BASE_URL = server.base_url
    try:
        send_action(action, volunteer)
        conv = add_conversation(action, ContactFactory(organization=org), user=volunteer)
        message = conversation_send_message(conversation=conv, sent_by=volunteer)  # commits: the send task runs eagerly
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not Message.objects.filter(direction="in").exists():
            time.sleep(0.1)
    finally:
        server.stop()
    message.refresh_from_db()
    assert message.status == "delivered"
    reply = Message.objects.get(direction="in")
    assert reply.conversation_id == conv.id
    assert sim.counts["posted_status_ok"] == 3 and sim.counts["posted_inbound_ok"] == 1
    assert_exact(action)


@pytest.mark.django_db(transaction=True)
def test_the_twilio_simulator_command_serves_the_api():
    org = OrganizationFactory()
    command = [
        sys.executable,
        "manage.py",
        "twilio_simulator",
        "--port",
        str(COMMAND_PORT),
        "--delay-min",
        "0",
        "--delay-max",
        "0",
    ]
    with procs.Proc(command, env={"DATABASE_URL": procs.database_url()}, port=COMMAND_PORT):
        created = api(org, f"http://127.0.0.1:{COMMAND_PORT}").messages.create(
            to="+12025550171", body="Hello", messaging_service_sid=org.messaging_service_sid
        )
        assert created.status == "accepted"
        assert requests.get(f"http://127.0.0.1:{COMMAND_PORT}/_simulator/stats", timeout=5).json()["created"] == 1
