"""CONTRACT §6 through the API: connections (secrets never returned), credential checks, the
catalogue, mappings, the `datasync` block, retry and the export; tenancy and bad input."""

import csv
import io

import pytest
from django.db import connection as db

from conftest import client_for
from datasync.models import CrmConnection, SyncItem
from datasync.services.sending import connection_sync
from tests.factories import ActionFactory

from .fakes import PDI_API_TOKEN, PDI_PASSWORD, PDI_USER, VAN_APP, VAN_KEY
from .helpers import VAN_SUPPORTER_CODE, assert_consistent, file_report

pytestmark = pytest.mark.django_db
VAN_BODY = {"kind": "van", "application_name": VAN_APP, "api_key": VAN_KEY, "mode": 1}
PDI_BODY = {"kind": "pdi", "username": PDI_USER, "password": PDI_PASSWORD, "api_token": PDI_API_TOKEN}


def test_creating_connections_answers_the_id_and_never_a_secret(admin_api, org, fake_van):
    r = admin_api.post("/api/v1/crm/connections/", VAN_BODY, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert isinstance(body["id"], int) and body["kind"] == "van" and body["mode"] == 1
    assert not {"api_key", "password", "api_token"} & set(body)
    assert VAN_KEY not in r.content.decode()
    r = admin_api.post("/api/v1/crm/connections/", PDI_BODY, format="json")
    assert r.status_code == 201 and PDI_PASSWORD not in r.content.decode() and PDI_API_TOKEN not in r.content.decode()
    listed = admin_api.get("/api/v1/crm/connections/").json()
    assert listed["count"] == 2 and VAN_KEY not in str(listed)
    # Encrypted at rest: the column holds ciphertext, the model the plain key.
    with db.cursor() as cursor:
        cursor.execute("SELECT api_key FROM datasync_crmconnection WHERE id = %s", [body["id"]])
        assert cursor.fetchone()[0] not in ("", VAN_KEY)
    assert CrmConnection.objects.get(pk=body["id"]).api_key == VAN_KEY


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "van", "application_name": "x", "mode": 0}, "api_key"),
        ({"kind": "van", "application_name": "x", "api_key": "k", "mode": 2}, "mode"),
        ({"kind": "van", "api_key": "k", "mode": 0}, "application_name"),
        ({"kind": "pdi", "username": "u", "password": "p"}, "api_token"),
        ({"kind": "salesforce"}, "kind"),
        ({"kind": "van", "application_name": "x", "api_key": "k", "mode": 0, "requests_per_second": 0}, "requests_per_second"),
    ],
)
def test_bad_connection_input_names_the_field(admin_api, body, field):
    r = admin_api.post("/api/v1/crm/connections/", body, format="json")
    assert r.status_code == 400 and field in r.json(), r.content
    assert CrmConnection.objects.count() == 0


def test_credentials_check_answers_ok_or_the_crms_words(admin_api, org, fake_van, fake_pdi):
    good = admin_api.post("/api/v1/crm/connections/", VAN_BODY, format="json").json()["id"]
    bad = admin_api.post("/api/v1/crm/connections/", {**VAN_BODY, "api_key": "wrong"}, format="json").json()["id"]
    pdi_bad = admin_api.post("/api/v1/crm/connections/", {**PDI_BODY, "password": "nope"}, format="json").json()["id"]
    assert admin_api.post(f"/api/v1/crm/connections/{good}/test/").json() == {"ok": True, "error": ""}
    assert admin_api.post(f"/api/v1/crm/connections/{bad}/test/").json() == {
        "ok": False,
        "error": "VAN 401: UNAUTHORIZED: The API key or application name is not valid.",
    }
    assert admin_api.post(f"/api/v1/crm/connections/{pdi_bad}/test/").json() == {
        "ok": False,
        "error": "PDI 401: Invalid username, password or API token.",
    }
    assert CrmConnection.objects.get(pk=bad).last_test_ok is False


def test_catalogue_lists_van_questions_with_responses_codes_and_pdi_flags(admin_api, org, fake_van, fake_pdi):
    van = admin_api.post("/api/v1/crm/connections/", VAN_BODY, format="json").json()["id"]
    pdi = admin_api.post("/api/v1/crm/connections/", PDI_BODY, format="json").json()["id"]
    catalog = admin_api.get(f"/api/v1/crm/connections/{van}/catalog/").json()
    # Both pages of survey questions (VAN's nextPageLink followed).
    assert [(q["id"], [r["id"] for r in q["responses"]]) for q in catalog["survey_questions"]] == [
        (101, [1001, 1002]),
        (102, [1011]),
    ]
    assert [a["id"] for a in catalog["activist_codes"]] == [201, 202]
    assert {"id": 130, "name": "Do Not Text"} in catalog["result_codes"]
    catalog = admin_api.get(f"/api/v1/crm/connections/{pdi}/catalog/").json()
    assert catalog["questions"] == [
        {
            "id": "Q1",
            "name": "Will you vote for us?",
            "answers": [{"flag_id": "SUP", "name": "Supporter"}, {"flag_id": "OPP", "name": "Opposed"}],
        }
    ]
    assert [f["id"] for f in catalog["flags"]] == ["SUP", "OPP", "DNT"]
    assert catalog["acquisition_types"] == [{"id": "7", "name": "Texting"}]


def test_catalogue_from_an_unreachable_crm_is_a_502_not_a_500(admin_api, org, settings, fast_http):
    settings.VAN_API_BASE_URL = "http://127.0.0.1:9/v4"
    van = admin_api.post("/api/v1/crm/connections/", VAN_BODY, format="json").json()["id"]
    r = admin_api.get(f"/api/v1/crm/connections/{van}/catalog/")
    assert r.status_code == 502 and "VAN: unreachable" in r.json()["detail"]


def test_mappings_create_replace_list_and_delete(admin_api, action, van_connection):
    url = f"/api/v1/actions/{action.id}/sync_mappings/"
    body = {"connection": van_connection.id, "source": "tag:supporter", "target": VAN_SUPPORTER_CODE}
    r = admin_api.post(url, body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["label"] == "Activist code: Supporter"
    survey = {"type": "survey_response", "question_id": 101, "response_id": 1002}
    r = admin_api.post(url, {**body, "target": survey}, format="json")
    assert r.status_code == 200 and r.json()["target"] == survey and r.json()["label"] == "Support: Lean support"
    r = admin_api.post(url, {**body, "source": "opt_out", "target": {"type": "result_code", "id": 130}}, format="json")
    assert r.status_code == 201
    r = admin_api.post(
        url, {**body, "source": "field:support=5", "target": {"type": "activist_code", "id": "202"}}, format="json"
    )
    assert r.status_code == 201 and r.json()["target"] == {"type": "activist_code", "id": 202}
    listed = admin_api.get(url).json()
    assert [m["source"] for m in listed["results"]] == ["tag:supporter", "opt_out", "field:support=5"]
    mapping_id = listed["results"][0]["id"]
    assert admin_api.delete(f"{url}{mapping_id}/").status_code == 204
    assert admin_api.delete(f"{url}{mapping_id}/").status_code == 404
    assert admin_api.get(url).json()["count"] == 2


@pytest.mark.parametrize(
    ("source", "target", "field"),
    [
        ("tag:nope", VAN_SUPPORTER_CODE, "source"),
        ("field:support=9", VAN_SUPPORTER_CODE, "source"),
        ("field:unknown=1", VAN_SUPPORTER_CODE, "source"),
        ("anything", VAN_SUPPORTER_CODE, "source"),
        ("tag:supporter", {"type": "activist_code", "id": 999}, "target.id"),
        ("tag:supporter", {"type": "survey_response", "question_id": 101, "response_id": 1011}, "target.response_id"),
        ("tag:supporter", {"type": "survey_response", "question_id": 999, "response_id": 1}, "target.question_id"),
        ("tag:supporter", {"type": "survey_response", "question_id": 101}, "target.response_id"),
        ("tag:supporter", {"type": "pdi_flag", "flag_id": "SUP"}, "target.type"),
        ("tag:supporter", {"type": "nonsense"}, "target.type"),
        ("tag:supporter", "activist_code", "target"),
    ],
)
def test_bad_mapping_input_names_the_field(admin_api, action, van_connection, source, target, field):
    body = {"connection": van_connection.id, "source": source, "target": target}
    r = admin_api.post(f"/api/v1/actions/{action.id}/sync_mappings/", body, format="json")
    assert r.status_code == 400 and field in r.json(), r.content


def test_another_organizations_connection_in_the_body_is_a_400(admin_api, action, other_org):
    theirs = CrmConnection.objects.create(organization=other_org, kind="van", application_name="x", api_key="k")
    body = {"connection": theirs.id, "source": "tag:supporter", "target": VAN_SUPPORTER_CODE}
    r = admin_api.post(f"/api/v1/actions/{action.id}/sync_mappings/", body, format="json")
    assert r.status_code == 400 and "connection" in r.json()


def test_outsider_gets_404_and_volunteer_403_everywhere(admin_api, outsider_api, volunteer_api, action, van_connection):
    item_paths = [
        ("get", f"/api/v1/crm/connections/{van_connection.id}/"),
        ("post", f"/api/v1/crm/connections/{van_connection.id}/test/"),
        ("get", f"/api/v1/crm/connections/{van_connection.id}/catalog/"),
        ("get", f"/api/v1/actions/{action.id}/sync_mappings/"),
        ("post", f"/api/v1/actions/{action.id}/sync_mappings/"),
        ("delete", f"/api/v1/actions/{action.id}/sync_mappings/1/"),
        ("get", f"/api/v1/actions/{action.id}/datasync/"),
        ("get", f"/api/v1/actions/{action.id}/datasync/items/"),
        ("post", f"/api/v1/actions/{action.id}/datasync/retry/"),
    ]
    for method, path in item_paths:
        assert getattr(outsider_api, method)(path, {}, format="json").status_code == 404, path
    for method, path in [*item_paths, ("get", "/api/v1/crm/connections/"), ("post", "/api/v1/crm/connections/")]:
        assert getattr(volunteer_api, method)(path, {}, format="json").status_code == 403, path
    assert outsider_api.get("/api/v1/crm/connections/").json()["count"] == 0
    assert client_for(None).get("/api/v1/crm/connections/").status_code == 401


def test_datasync_block_items_and_retry(admin_api, action, volunteer, make_conversation, van_connection, fake_van):
    admin_api.post(
        f"/api/v1/actions/{action.id}/sync_mappings/",
        {"connection": van_connection.id, "source": "tag:supporter", "target": VAN_SUPPORTER_CODE},
        format="json",
    )
    ok, refused = make_conversation(van_id="5001"), make_conversation(van_id="5002")
    file_report(ok, volunteer, ["supporter"], support="4")
    file_report(refused, volunteer, ["supporter"])
    fake_van.fail_next("5002", (400, {}))
    connection_sync(connection_id=van_connection.id)

    block = admin_api.get(f"/api/v1/actions/{action.id}/datasync/").json()
    assert {k: block[k] for k in ("synced", "pending", "failed", "skipped")} == {
        "synced": 1,
        "pending": 0,
        "failed": 1,
        "skipped": 1,
    }
    assert block["last_synced_at"].endswith("Z")
    assert block["by_source"] == [
        {"source": "tag:supporter", "synced": 1, "pending": 0, "failed": 1, "skipped": 0},
        {"source": "field:support=4", "synced": 0, "pending": 0, "failed": 0, "skipped": 1},
    ]
    assert block["top_errors"] == [{"text": "VAN 400: INVALID_PARAMETER: HTTP 400.", "count": 1}]
    assert admin_api.get(f"/api/v1/actions/{action.id}/results/").json()["datasync"] == block

    failed = admin_api.get(f"/api/v1/actions/{action.id}/datasync/items/?status=failed").json()
    assert failed["count"] == 1 and failed["results"][0]["person_id"] == "5002"
    assert failed["results"][0]["last_error"] == "VAN 400: INVALID_PARAMETER: HTTP 400."
    other = ActionFactory(organization=action.organization)
    r = admin_api.post(f"/api/v1/actions/{other.id}/datasync/retry/", {"items": [failed["results"][0]["id"]]}, format="json")
    assert r.status_code == 400 and "items" in r.json()
    assert admin_api.post(f"/api/v1/actions/{action.id}/datasync/retry/", {"items": "x"}, format="json").status_code == 400
    r = admin_api.post(f"/api/v1/actions/{action.id}/datasync/retry/", {"items": [failed["results"][0]["id"]]}, format="json")
    assert r.json() == {"retried": 1}
    assert admin_api.get(f"/api/v1/actions/{action.id}/datasync/").json()["pending"] == 1
    assert_consistent(action)


def test_datasync_export_lists_each_item(admin_api, action, volunteer, make_conversation, van_connection, fake_van):
    admin_api.post(
        f"/api/v1/actions/{action.id}/sync_mappings/",
        {"connection": van_connection.id, "source": "tag:supporter", "target": VAN_SUPPORTER_CODE},
        format="json",
    )
    conv = make_conversation(van_id="5001", first_name="=Ann", last_name="Lee", phone="+12025550177")
    file_report(conv, volunteer, ["supporter"])
    connection_sync(connection_id=van_connection.id)
    r = admin_api.get(f"/api/v1/actions/{action.id}/exports/datasync.csv")
    assert r.status_code == 200, r.content
    content = b"".join(r.streaming_content) if r.streaming else r.content
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    item = SyncItem.objects.get(action=action)
    assert len(rows) == 1
    row = rows[0]
    assert (row["item_id"], row["contact"], row["phone"], row["van_id"], row["crm"]) == (
        str(item.id),
        "'=Ann Lee",
        "+12025550177",
        "5001",
        "NGP VAN",
    )
    assert (row["source"], row["target"], row["status"], row["attempts"]) == (
        "tag:supporter",
        "Activist code: Supporter",
        "synced",
        "1",
    )
    assert row["synced_at"].endswith("Z") and row["last_error"] == ""
