"""Bulk actions on every user matching the filters (not just a page): push through the
database backend and through FCM (faked at the HTTP level), email through a real local
SMTP server, inbox messages, and sending another action; each a job with progress and an
audit record with per-recipient failures."""

import json

import pytest

from actions.models import ActionRecipient
from actions.services.actions import action_send, recipient_record
from engagement.models import AuditEvent, BulkJob, DeviceToken, Notification
from tests.factories import ActionFactory, make_member

from .fakes import SMTP_PORT, fcm_server, smtp_server

BULK = "/api/v1/actions/{}/engagement/bulk/"


@pytest.fixture
def crowd(org, action):
    """30 volunteers got the action (more than one page of 25); 12 of them have seen it."""
    users = [make_member(org, email=f"v{i}@example.org", username=f"v{i}@example.org") for i in range(30)]
    action_send(action=action, user_ids=[u.id for u in users])
    for u in users[:12]:
        recipient_record(action=action, user=u, event="seen")
    return users


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Run what the request scheduled on commit (the Celery task, eager without a broker)."""

    def post(api, url, body):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(url, body, format="json")
        assert response.status_code == 201, response.content
        return api.get(response.json()["url"]).json()

    return post


def test_inbox_message_reaches_every_match_and_the_volunteer_reads_it(admin_api, action, crowd, run_jobs, admin_user):
    from conftest import client_for

    body = {"kind": "inbox", "filters": {"status": ["seen"]}, "subject": "Thanks", "body": "You are great."}
    job = run_jobs(admin_api, BULK.format(action.id), body)
    assert (job["status"], job["total"], job["succeeded"], job["failed"], job["progress"]) == ("done", 12, 12, 0, 100)
    reader = client_for(crowd[0])
    inbox = reader.get("/api/v1/me/inbox/").json()
    assert inbox["count"] == 1 and inbox["results"][0]["body"] == "You are great." and inbox["results"][0]["read_at"] is None
    mid = inbox["results"][0]["id"]
    assert reader.post(f"/api/v1/me/inbox/{mid}/read/").json()["read_at"]
    assert reader.get("/api/v1/me/inbox/?unread=true").json()["count"] == 0
    assert client_for(crowd[20]).get("/api/v1/me/inbox/").json()["count"] == 0
    assert client_for(crowd[20]).post(f"/api/v1/me/inbox/{mid}/read/").status_code == 404
    event = AuditEvent.objects.get(verb="bulk_inbox")
    assert event.actor == admin_user and event.subject_id == job["id"]
    assert event.summary["filters"] == {"status": ["seen"]} and event.summary["total"] == 12


def test_a_job_that_runs_twice_delivers_once(admin_api, action, crowd, run_jobs):
    from engagement.services.bulk import bulk_job_run

    job = run_jobs(admin_api, BULK.format(action.id), {"kind": "inbox", "body": "Hello"})
    bulk_job_run(job_id=job["id"])
    BulkJob.objects.filter(pk=job["id"]).update(status="pending")
    bulk_job_run(job_id=job["id"])
    assert crowd[0].inbox_messages.count() == 1


def test_push_database_backend_stores_notifications_the_app_reads(admin_api, action, crowd, run_jobs):
    from conftest import client_for

    body = {"kind": "push", "filters": {"never_seen": "true"}, "title": "Heads up", "body": "Replies are waiting"}
    job = run_jobs(admin_api, BULK.format(action.id), body)
    assert (job["total"], job["succeeded"]) == (18, 18)
    assert Notification.objects.count() == 18
    listed = client_for(crowd[29]).get("/api/v1/me/notifications/").json()
    assert listed["results"][0]["title"] == "Heads up"
    assert client_for(crowd[0]).get("/api/v1/me/notifications/").json()["count"] == 0


def test_push_through_fcm_records_users_without_devices_and_dead_tokens(admin_api, action, crowd, run_jobs, settings, tmp_path):
    from conftest import client_for

    server, fcm = fcm_server()
    try:
        account = tmp_path / "service-account.json"
        account.write_text(json.dumps(fcm.account()))
        settings.ENGAGEMENT_PUSH_BACKEND = "fcm"
        settings.FCM_SERVICE_ACCOUNT_FILE = str(account)
        settings.FCM_API_BASE_URL = f"http://127.0.0.1:{server.server_port}"
        for i, user in enumerate(crowd[:3]):
            r = client_for(user).post("/api/v1/me/devices/", {"token": f"tok-{i}", "platform": "android"}, format="json")
            assert r.status_code == 201
        fcm.dead_tokens.add("tok-2")
        body = {"kind": "push", "filters": {"status": ["seen"]}, "title": "Hi", "body": "New replies"}
        job = run_jobs(admin_api, BULK.format(action.id), body)
    finally:
        server.shutdown()
    assert (job["total"], job["succeeded"], job["failed"]) == (12, 2, 10)
    assert sorted(m["token"] for m in fcm.sent) == ["tok-0", "tok-1"]
    assert fcm.sent[0]["notification"] == {"title": "Hi", "body": "New replies"}
    assert fcm.token_requests == 1  # one OAuth token, reused for every message
    errors = {f["email"]: f["error"] for f in job["failures"]}
    assert errors["v2@example.org"] == "UNREGISTERED"
    assert errors["v5@example.org"] == "no device registered for push"
    assert len(errors) == 10
    assert not DeviceToken.objects.filter(token="tok-2").exists()  # FCM said it is gone for good


def test_push_when_google_cannot_be_reached_fails_each_user_with_the_reason(
    admin_api, action, crowd, run_jobs, settings, tmp_path
):
    from conftest import client_for

    server, fcm = fcm_server()
    server.shutdown()  # nothing answers on the token endpoint nor on FCM's
    server.server_close()
    account = tmp_path / "service-account.json"
    account.write_text(json.dumps(fcm.account()))
    settings.ENGAGEMENT_PUSH_BACKEND = "fcm"
    settings.FCM_SERVICE_ACCOUNT_FILE = str(account)
    settings.FCM_API_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    r = client_for(crowd[0]).post("/api/v1/me/devices/", {"token": "tok-0", "platform": "android"}, format="json")
    assert r.status_code == 201
    body = {"kind": "push", "filters": {"status": ["seen"]}, "title": "Hi", "body": "New replies"}
    job = run_jobs(admin_api, BULK.format(action.id), body)
    assert job["status"] == "done" and (job["succeeded"], job["failed"]) == (0, 12)
    errors = {f["email"]: f["error"] for f in job["failures"]}
    assert errors[crowd[0].email].startswith("no OAuth token for FCM:")
    assert DeviceToken.objects.filter(token="tok-0").exists()  # an outage is no reason to forget a device
    assert fcm.sent == [] and fcm.token_requests == 0


def test_email_goes_through_smtp_with_the_admins_reply_to(admin_api, action, crowd, run_jobs, settings, admin_user):
    controller, sink = smtp_server()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", SMTP_PORT
        sink.refuse.add("v3@example.org")
        body = {"kind": "email", "filters": {"status": ["seen"]}, "subject": "Replies waiting", "body": "Please log in."}
        job = run_jobs(admin_api, BULK.format(action.id), body)
    finally:
        controller.stop()
    assert (job["total"], job["succeeded"], job["failed"]) == (12, 11, 1)
    assert job["failures"][0]["email"] == "v3@example.org" and "550" in job["failures"][0]["error"]
    assert len(sink.messages) == 11
    first = sink.messages[0]
    assert first["Reply-To"] == admin_user.email
    assert first["Subject"] == "Replies waiting"
    assert {m["To"] for m in sink.messages} == {f"v{i}@example.org" for i in range(12)} - {"v3@example.org"}


def test_send_action_sends_another_action_to_every_match(admin_api, org, action, crowd, run_jobs):
    other = ActionFactory(organization=org, status="draft")
    job = run_jobs(admin_api, BULK.format(action.id), {"kind": "send_action", "target_action": other.id})
    assert (job["total"], job["succeeded"]) == (30, 30)
    assert ActionRecipient.objects.filter(action=other).count() == 30
    other.refresh_from_db()
    assert other.status == "live"
    assert AuditEvent.objects.get(verb="bulk_send_action").summary["params"] == {"target_action": other.id}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "carrier_pigeon", "body": "x"}, "kind"),
        ({"kind": "push", "body": "x"}, "title"),
        ({"kind": "email", "body": "x"}, "subject"),
        ({"kind": "inbox"}, "body"),
        ({"kind": "inbox", "body": "x", "filters": {"status": ["asleep"]}}, "status"),
        ({"kind": "send_action"}, "target_action"),
        ({"kind": "send_action", "target_action": "foreign"}, "target_action"),
    ],
)
def test_bad_bulk_requests_answer_400_naming_the_field(admin_api, action, crowd, other_org, body, field):
    if body.get("target_action") == "foreign":
        body = {**body, "target_action": ActionFactory(organization=other_org).id}
    r = admin_api.post(BULK.format(action.id), body, format="json")
    assert r.status_code == 400 and field in r.json(), r.content
    assert not BulkJob.objects.exists()


def test_outsider_404_volunteer_403(admin_api, outsider_api, volunteer_api, action, crowd, run_jobs):
    job = run_jobs(admin_api, BULK.format(action.id), {"kind": "inbox", "body": "Hello"})
    for api, code in ((outsider_api, 404), (volunteer_api, 403)):
        assert api.post(BULK.format(action.id), {"kind": "inbox", "body": "x"}, format="json").status_code == code
        assert api.get(BULK.format(action.id)).status_code == code
        assert api.get(job["url"]).status_code == code
    assert admin_api.get(BULK.format(action.id)).json()["count"] == 1
