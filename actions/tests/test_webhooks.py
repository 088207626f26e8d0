"""Webhooks (CONTRACT §3): signed requests are stored once and acknowledged at once; forged,
unsigned, wrong-account and malformed ones store nothing and never answer 5xx."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from actions.models import Message, TwilioEvent
from actions.tasks import events_sweep
from actions.twilio.applier import events_apply_all
from actions.twilio.events import event_record
from orgs.models import Organization
from tests.factories import send_action

from .helpers import INBOUND, STATUS, inbound_params, post_webhook, send_status, sign, status_params, texted_conversation

FIXTURES = sorted(Path(__file__).parent.joinpath("fixtures").glob("*.json"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_recorded_payloads_are_accepted_and_stored(fixture, client, settings, db):
    recorded = json.loads(fixture.read_text())
    settings.PUBLIC_BASE_URL = recorded["public_base_url"]
    org = Organization.objects.create(
        name="Recorded", twilio_account_sid=recorded["account_sid"], twilio_auth_token=recorded["auth_token"]
    )
    r = post_webhook(client, recorded["path"], recorded["params"], signature=recorded["headers"]["X-Twilio-Signature"])
    kind = "status" if recorded["path"] == STATUS else "inbound"
    assert r.status_code == (204 if kind == "status" else 200), r.content
    if kind == "inbound":
        assert r["Content-Type"].startswith("text/xml") and b"<Response/>" in r.content
    event = TwilioEvent.objects.get(organization=org)
    assert (event.kind, event.message_sid) == (kind, recorded["params"]["MessageSid"])
    assert event.payload == recorded["params"]
    assert event.status == (recorded["params"]["MessageStatus"] if kind == "status" else "")


def test_duplicates_are_acknowledged_and_stored_once(client, org):
    for _ in range(3):
        assert send_status(client, org, "SM" + "a" * 32, "delivered").status_code == 204
    params = inbound_params(org, "SM" + "b" * 32, "+12025550111", "hello")
    for _ in range(3):
        assert post_webhook(client, INBOUND, params, token=org.twilio_auth_token).status_code == 200
    assert TwilioEvent.objects.count() == 2
    events_apply_all()
    assert Message.objects.filter(direction="in").count() == 1


def test_a_new_status_of_the_same_message_is_a_new_event(client, org):
    for status in ("queued", "sent", "delivered", "sent"):
        send_status(client, org, "SM" + "c" * 32, status)
    assert sorted(TwilioEvent.objects.values_list("status", flat=True)) == ["delivered", "queued", "sent"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p, s: (p, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="), id="forged-signature"),
        pytest.param(lambda p, s: (p, None), id="unsigned"),
        pytest.param(lambda p, s: ({**p, "MessageStatus": "delivered", "SmsStatus": "delivered"}, s), id="body-changed"),
        pytest.param(lambda p, s: ({**p, "AccountSid": "AC" + "9" * 32}, s), id="unknown-account"),
        pytest.param(lambda p, s: ({k: v for k, v in p.items() if k != "AccountSid"}, s), id="no-account"),
    ],
)
def test_forged_unsigned_and_unknown_account_requests_are_refused(tamper, client, org):
    params = status_params(org, "SM" + "d" * 32, "failed", 30003)
    params, signature = tamper(params, sign(org.twilio_auth_token, STATUS, params))
    r = post_webhook(client, STATUS, params, signature=signature)
    assert r.status_code == 403
    assert not TwilioEvent.objects.exists()


def test_another_organizations_token_does_not_sign_for_this_account(client, org, other_org):
    params = status_params(org, "SM" + "e" * 32, "delivered")
    assert post_webhook(client, STATUS, params, token=other_org.twilio_auth_token).status_code == 403
    assert not TwilioEvent.objects.exists()


def test_signature_is_checked_against_public_base_url(client, org, settings):
    params = status_params(org, "SM" + "f" * 32, "sent")
    signature = sign(org.twilio_auth_token, STATUS, params)
    settings.PUBLIC_BASE_URL = "https://elsewhere.example.org"
    assert post_webhook(client, STATUS, params, signature=signature).status_code == 403


def test_a_rotated_auth_token_is_used_without_a_restart(client, org):
    assert send_status(client, org, "SM" + "1" * 32, "sent").status_code == 204  # caches the organization
    org.twilio_auth_token = "rotated-token-0123456789abcdef"
    org.save()
    assert send_status(client, org, "SM" + "2" * 32, "sent").status_code == 204
    assert TwilioEvent.objects.count() == 2


@pytest.mark.parametrize(
    ("path", "change", "field"),
    [
        (STATUS, {"MessageSid": "", "SmsSid": ""}, "MessageSid"),
        (STATUS, {"MessageSid": "not a sid!", "SmsSid": ""}, "MessageSid"),
        (STATUS, {"MessageStatus": "exploded", "SmsStatus": "exploded"}, "MessageStatus"),
        (STATUS, {"MessageStatus": "", "SmsStatus": ""}, "MessageStatus"),
        (STATUS, {"MessageStatus": "pending", "SmsStatus": "pending"}, "MessageStatus"),
        (STATUS, {"ErrorCode": "30x07"}, "ErrorCode"),
        (STATUS, {"To": "+1202\x00555"}, "To"),
        (INBOUND, {"From": ""}, "From"),
        (INBOUND, {"From": "202-555-0101"}, "From"),
        (INBOUND, {"MessageSid": "", "SmsMessageSid": "", "SmsSid": ""}, "MessageSid"),
        (INBOUND, {"Body": "nul\x00byte"}, "Body"),
    ],
)
def test_signed_but_malformed_requests_answer_400_naming_the_field(path, change, field, client, org):
    base = (
        status_params(org, "SM" + "3" * 32, "sent")
        if path == STATUS
        else inbound_params(org, "SM" + "4" * 32, "+12025550100", "hi")
    )
    r = post_webhook(client, path, {**base, **change}, token=org.twilio_auth_token)
    assert r.status_code == 400
    assert field in r.json()
    assert not TwilioEvent.objects.exists()


def test_without_a_worker_the_event_is_applied_once_the_request_commits(client, org, django_capture_on_commit_callbacks):
    # The embedded demo (no broker, eager tasks) applies in the webhook's own request.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_webhook(client, INBOUND, inbound_params(org, "SM" + "7" * 32, "+12025550177", "hi"), token=org.twilio_auth_token)
    assert len(callbacks) == 1
    assert TwilioEvent.objects.get().applied_at is not None
    assert Message.objects.get(direction="in").body == "hi"


def test_only_post_is_allowed(client, org):
    assert client.get(STATUS).status_code == 405
    assert client.put(INBOUND).status_code == 405


def test_event_record_stores_without_applying_and_reports_duplicates(org):
    payload = status_params(org, "SM" + "5" * 32, "delivered")
    assert event_record(organization=org, kind="status", payload=payload) is True
    assert event_record(organization=org, kind="status", payload=payload) is False
    event = TwilioEvent.objects.get()
    assert event.applied_at is None and not event.waiting_for_sid


def test_callback_for_a_sid_not_known_yet_waits_for_it(client, org, volunteer, action, twilio_sim):
    send_action(action, volunteer)
    send_status(client, org, "SM" + "6" * 32, "delivered")
    assert events_apply_all() == 0
    event = TwilioEvent.objects.get()
    assert event.waiting_for_sid and event.applied_at is None
    _, message = texted_conversation(action, volunteer)
    Message.objects.filter(id=message.id).update(twilio_sid="SM" + "6" * 32)  # the send task saved this SID
    events_sweep.apply()
    event.refresh_from_db()
    message.refresh_from_db()
    assert event.applied_at is not None and message.status == "delivered"


def test_a_callback_signed_by_another_organization_never_touches_this_ones_message(
    client, org, other_org, volunteer, action, twilio_sim
):
    send_action(action, volunteer)
    _, message = texted_conversation(action, volunteer)
    params = {**status_params(other_org, message.twilio_sid, "failed", 30003)}
    assert post_webhook(client, STATUS, params, token=other_org.twilio_auth_token).status_code == 204
    events_apply_all()
    message.refresh_from_db()
    assert message.status == "accepted"
    assert TwilioEvent.objects.get(organization=other_org).waiting_for_sid


form_text = st.text(st.characters(codec="utf-8"), max_size=40)
form_fields = st.dictionaries(
    st.sampled_from(["AccountSid", "MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "ErrorCode", "From", "To", "Body"])
    | form_text,
    form_text,
    max_size=8,
)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=form_fields, sign_it=st.booleans(), use_account=st.booleans(), path=st.sampled_from([STATUS, INBOUND]))
def test_no_form_body_makes_a_webhook_answer_5xx(client, org, fields, sign_it, use_account, path):
    params = {**fields, "AccountSid": org.twilio_account_sid} if use_account else fields
    r = post_webhook(client, path, params, token=org.twilio_auth_token if sign_it else None)
    assert r.status_code < 500
    assert r.status_code in (200, 204, 400, 403)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/json", "text/plain"]
    ),
)
def test_no_raw_body_makes_a_webhook_answer_5xx(client, org, body, content_type):
    r = client.post(STATUS, data=body, content_type=content_type, HTTP_X_TWILIO_SIGNATURE="x")
    assert r.status_code < 500
