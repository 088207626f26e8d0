"""The audit log covers every admin action (issue 8): each one, taken through the real API,
page or Django admin, leaves one event naming who, what, on which action, and a summary
without secrets. Services called by tasks, commands or tests (no acting admin) leave none."""

import io
import logging
import socket

import pytest
from django.urls import reverse
from pytest_httpserver import HTTPServer

from actions.services.actions import action_send
from datasync.models import CrmConnection
from datasync.services.connections import connection_refresh_catalog
from datasync.tests.fakes import VAN_APP, VAN_KEY, FakeVan
from engagement.models import AuditEvent
from reporting.exports.models import ExportJob
from reporting.recompute import recompute_stats
from tests.factories import make_member

pytestmark = pytest.mark.django_db
Verb = AuditEvent.Verb


def events(org, verb=None) -> list[AuditEvent]:
    found = AuditEvent.objects.for_org(org).order_by("id")
    return list(found.filter(verb=verb) if verb else found)


def only_event(org, verb) -> AuditEvent:
    found = events(org, verb)
    assert len(found) == 1, [(e.verb, e.summary) for e in events(org)]
    return found[0]


def csv_file(text: str) -> io.BytesIO:
    upload = io.BytesIO(text.encode())
    upload.name = "contacts.csv"
    return upload


# --- actions, contacts, volunteers ---------------------------------------------------------


def test_creating_an_action_is_audited(admin_api, admin_user, org):
    body = {"name": "GOTV", "initial_script": "Hi {first_name}"}
    created = admin_api.post("/api/v1/actions/", body, format="json").json()
    event = only_event(org, Verb.ACTION_CREATE)
    assert (event.actor, event.action_id, event.summary) == (admin_user, created["id"], {"name": "GOTV"})


def test_a_status_change_is_audited_with_before_and_after(admin_api, admin_user, org, action):
    assert admin_api.patch(f"/api/v1/actions/{action.id}/", {"status": "paused"}, format="json").status_code == 200
    event = only_event(org, Verb.ACTION_STATUS)
    assert (event.actor, event.action_id, event.summary) == (admin_user, action.id, {"from": "live", "to": "paused"})


def test_a_contact_upload_is_audited_with_its_counts(admin_api, admin_user, org, action):
    data = "phone,first_name\n2025550101,Ann\n2025550101,Ann\nnot-a-phone,Bob\n"
    admin_api.post(f"/api/v1/actions/{action.id}/contacts/", {"file": csv_file(data)}, format="multipart")
    event = only_event(org, Verb.CONTACTS_UPLOAD)
    assert event.actor == admin_user and event.action_id == action.id
    assert event.summary == {"created": 1, "duplicates": 1, "invalid": 1, "opted_out": 0, "bytes": len(data)}
    assert recompute_stats(action) == []


def test_sending_an_action_to_users_is_audited(admin_api, admin_user, org, action, volunteer):
    admin_api.post(f"/api/v1/actions/{action.id}/send/", {"user_ids": [volunteer.id]}, format="json")
    event = only_event(org, Verb.ACTION_SEND)
    assert event.summary == {"user_ids": [volunteer.id], "new_recipients": 1}
    assert recompute_stats(action) == []


def test_creating_a_volunteer_is_audited_without_the_password(admin_api, admin_user, org):
    body = {"email": "Sam@Example.org", "first_name": "Sam", "password": "a-long-password"}
    created = admin_api.post("/api/v1/volunteers/", body, format="json").json()
    event = only_event(org, Verb.VOLUNTEER_CREATE)
    assert (event.actor, event.subject_type, event.subject_id) == (admin_user, "user", created["id"])
    assert event.summary == {"email": "sam@example.org", "role": "volunteer"}


def test_services_called_without_an_admin_record_nothing(org, action, volunteer):
    """Tasks, commands and seeds act for nobody: the log is of what admins did."""
    action_send(action=action, user_ids=[volunteer.id])
    assert events(org) == []


def test_a_refused_request_records_nothing(admin_api, org):
    assert admin_api.post("/api/v1/actions/", {"name": ""}, format="json").status_code == 400
    assert events(org) == []


# --- exports --------------------------------------------------------------------------------


def test_an_export_answered_now_is_audited_as_a_download(admin_api, admin_user, org, action, client):
    assert admin_api.get(f"/api/v1/actions/{action.id}/exports/contacts.csv").status_code == 200
    client.force_login(admin_user)
    assert client.get(f"/actions/{action.id}/exports/users.xlsx").status_code == 200
    downloads = events(org, Verb.EXPORT_DOWNLOAD)
    assert [(e.actor, e.action_id, e.summary) for e in downloads] == [
        (admin_user, action.id, {"kind": "contacts", "format": "csv"}),
        (admin_user, action.id, {"kind": "users", "format": "xlsx"}),
    ]


def test_a_background_export_is_audited_when_started_and_when_downloaded(
    admin_api, admin_user, org, action, settings, django_capture_on_commit_callbacks
):
    settings.EXPORTS_SYNC_MAX_ROWS = {"csv": -1, "xlsx": -1}
    with django_capture_on_commit_callbacks(execute=True):  # the job runs (eagerly) once the request commits
        response = admin_api.get(f"/api/v1/actions/{action.id}/exports/contacts.csv")
    assert response.status_code == 202
    job = ExportJob.objects.get()
    started = only_event(org, Verb.EXPORT_START)
    assert (started.subject_type, started.subject_id, started.summary) == (
        "exportjob",
        job.id,
        {"kind": "contacts", "format": "csv"},
    )
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert admin_api.get(f"/api/v1/exports/jobs/{job.id}/download/").status_code == 200
    downloaded = only_event(org, Verb.EXPORT_DOWNLOAD)
    assert (downloaded.actor, downloaded.subject_id) == (admin_user, job.id)


# --- DataSync -------------------------------------------------------------------------------


@pytest.fixture
def fake_van(settings):
    """A fake VAN on a port of this suite's own range (8700-8799)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    for port in range(8700, 8800):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                break
    server = HTTPServer(host="127.0.0.1", port=port, threaded=True)
    server.start()
    fake = FakeVan(server, "/v4").install()
    settings.VAN_API_BASE_URL = fake.url()
    settings.DATASYNC_HTTP_TIMEOUT = 1.0
    yield fake
    server.clear()
    server.stop()


@pytest.fixture
def van(org, fake_van) -> CrmConnection:
    connection = CrmConnection.objects.create(
        organization=org, kind="van", name="VAN", application_name=VAN_APP, api_key=VAN_KEY, mode=1
    )
    connection_refresh_catalog(connection=connection)
    return connection


def test_creating_and_testing_a_crm_connection_is_audited_without_secrets(admin_api, admin_user, org, fake_van):
    body = {"kind": "van", "name": "Our VAN", "application_name": VAN_APP, "api_key": VAN_KEY, "mode": 1}
    created = admin_api.post("/api/v1/crm/connections/", body, format="json").json()
    assert admin_api.post(f"/api/v1/crm/connections/{created['id']}/test/").json()["ok"] is True
    made, tested = only_event(org, Verb.CRM_CONNECTION_CREATE), only_event(org, Verb.CRM_CONNECTION_TEST)
    assert (made.actor, made.subject_type, made.subject_id) == (admin_user, "crmconnection", created["id"])
    assert made.summary == {"kind": "van", "name": "Our VAN"} and tested.summary == {"ok": True, "error": ""}
    assert VAN_KEY not in str([e.summary for e in events(org)])


def test_mapping_changes_through_the_api_are_audited(admin_api, admin_user, org, action, van):
    url = f"/api/v1/actions/{action.id}/sync_mappings/"
    body = {"connection": van.id, "source": "tag:supporter", "target": {"type": "activist_code", "id": 201}}
    mapping = admin_api.post(url, body, format="json").json()
    assert admin_api.delete(f"{url}{mapping['id']}/").status_code == 204
    made, removed = only_event(org, Verb.MAPPING_SET), only_event(org, Verb.MAPPING_DELETE)
    for event in (made, removed):
        assert (event.actor, event.action_id, event.subject_id) == (admin_user, action.id, mapping["id"])
        assert event.summary["source"] == "tag:supporter" and event.summary["connection"] == van.id
    assert made.summary["target"] == mapping["label"]


def test_mapping_changes_on_the_page_are_audited(client, admin_user, org, action, van):
    client.force_login(admin_user)
    page = reverse("action-datasync", args=[action.id])
    target = '{"id": 201, "type": "activist_code"}'
    client.post(page, {"op": "map", "connection": van.id, "source": "tag:supporter", "target": target})
    client.post(page, {"op": "map", "connection": van.id, "source": "tag:supporter", "target": ""})
    assert [e.verb for e in events(org)] == [Verb.MAPPING_SET, Verb.MAPPING_DELETE]
    assert all(e.actor == admin_user and e.action_id == action.id for e in events(org))


def test_retrying_failed_items_is_audited_from_the_api_and_the_page(admin_api, admin_user, org, action, client):
    admin_api.post(f"/api/v1/actions/{action.id}/datasync/retry/", {}, format="json")
    client.force_login(admin_user)
    client.post(reverse("action-datasync-retry", args=[action.id]))
    retries = events(org, Verb.DATASYNC_RETRY)
    assert [(e.actor, e.action_id, e.summary) for e in retries] == [
        (admin_user, action.id, {"asked": "all failed", "retried": 0})
    ] * 2


# --- organization settings ------------------------------------------------------------------


def test_changing_the_organization_in_the_django_admin_is_audited(client, admin_user, org):
    client.force_login(admin_user)
    form = {"name": "Renamed", "twilio_account_sid": org.twilio_account_sid, "messaging_service_sid": "MG" + "9" * 32}
    assert client.post(reverse("admin:orgs_organization_change", args=[org.pk]), form).status_code == 302
    event = only_event(org, Verb.ORGANIZATION_CHANGE)
    assert (event.actor, event.subject_type, event.subject_id) == (admin_user, "organization", org.pk)
    assert event.summary == {"name": "Renamed", "messaging_service_sid": "MG" + "9" * 32}


# --- the log itself: the page and the API ---------------------------------------------------


@pytest.fixture
def history(org, other_org, admin_user, outsider, action):
    """Events of two kinds by two admins of `org`, and one of another organization."""
    from engagement.services.audit import audit_record

    colleague = make_member(org, "admin", email="colleague@example.org", username="colleague@example.org")
    for n in range(55):
        audit_record(organization_id=org.id, actor=admin_user, verb=Verb.ACTION_STATUS, action=action, summary={"n": n})
    audit_record(organization_id=org.id, actor=colleague, verb=Verb.EXPORT_DOWNLOAD, action=action, summary={"kind": "users"})
    audit_record(organization_id=other_org.id, actor=outsider, verb=Verb.EXPORT_DOWNLOAD, summary={"kind": "qqTHEIRSqq"})
    return colleague


def page(client, user, query: str = ""):
    client.force_login(user)
    return client.get(f"/audit/{query}")


def test_the_page_lists_the_organizations_events_newest_first_in_pages(client, admin_user, history):
    first = page(client, admin_user)
    text = first.content.decode()
    assert first.status_code == 200 and "Page 1 of 2 · 56 events" in text
    assert text.index("colleague@example.org") < text.index(admin_user.email + "</td>"), "newest first"
    assert "qqTHEIRSqq" not in text
    second = page(client, admin_user, "?page=2").content.decode()
    assert "Page 2 of 2" in second and second.count('data-verb="action_status"') == 6


def test_the_page_filters_by_kind_and_by_actor(client, admin_user, history):
    by_kind = page(client, admin_user, "?verb=export_download").content.decode()
    assert by_kind.count("data-event=") == 1 and "colleague@example.org" in by_kind
    by_actor = page(client, admin_user, f"?actor={admin_user.id}&page=2").content.decode()
    assert by_actor.count('data-verb="action_status"') == 5 and "1 of 2" not in by_actor
    assert f"actor={admin_user.id}&amp;page=1" in by_actor, "paging keeps the filters"


def test_a_filter_naming_another_organizations_user_shows_nothing_of_theirs(client, admin_user, history, outsider):
    response = page(client, admin_user, f"?actor={outsider.id}")
    text = response.content.decode()
    assert response.status_code == 200 and "Select a valid choice" in text and "qqTHEIRSqq" not in text


def test_an_outsider_sees_only_their_own_organizations_events(client, outsider, history):
    text = page(client, outsider).content.decode()
    assert "qqTHEIRSqq" in text and "colleague@example.org" not in text and "· 1 event<" in text


def test_a_volunteer_gets_403_and_no_nav_link(client, volunteer):
    response = page(client, volunteer)
    assert response.status_code == 403 and "organization admin" in response.content.decode()
    assert 'href="/audit/"' not in client.get("/").content.decode()


def test_admins_find_the_log_in_the_nav(client, admin_user):
    assert 'href="/audit/"' in page(client, admin_user).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_api_filters_the_same_way_and_refuses_another_organizations_ids(admin_api, admin_user, history, outsider):
    listed = admin_api.get(f"/api/v1/audit/?verb=action_status&actor={admin_user.id}&page_size=10").json()
    assert listed["count"] == 55 and len(listed["results"]) == 10
    assert {e["actor_email"] for e in listed["results"]} == {admin_user.email}
    refused = admin_api.get(f"/api/v1/audit/?actor={outsider.id}")
    assert refused.status_code == 400 and "actor" in refused.json()


def test_the_api_is_for_admins(volunteer_api, history):
    assert volunteer_api.get("/api/v1/audit/").status_code == 403
