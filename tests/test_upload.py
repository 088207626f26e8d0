"""POST /api/v1/actions/<id>/contacts/ (CONTRACT §3): rows, duplicates, opt-outs, bad files."""

import pytest

from actions.models import ActionRecipient, Contact, Conversation, OptOut
from reporting.recompute import recompute_stats
from tests.factories import ActionFactory, ContactFactory, make_member
from tests.helpers import action_figures, upload

pytestmark = pytest.mark.django_db


def nothing_stored(action) -> bool:
    return not Contact.objects.filter(organization=action.organization).exists() and not action.conversations.exists()


def test_good_rows_become_contacts_and_conversations(admin_api, action):
    text = (
        "Phone,First_Name,last_name,van_id,pdi_id,ward,precinct\n(202) 555-0101,Ann,Lee,V1,P1,3,12A\n+1 202 555 0102,Bob,,,,4,\n"
    )
    response = upload(admin_api, action, text)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "duplicates": 0, "invalid": [], "opted_out": 0}
    ann = Contact.objects.get(organization=action.organization, phone="+12025550101")
    assert (ann.first_name, ann.last_name, ann.van_id, ann.pdi_id) == ("Ann", "Lee", "V1", "P1")
    assert ann.attributes == {"ward": "3", "precinct": "12A"}
    assert Contact.objects.get(phone="+12025550102").attributes == {"ward": "4"}
    assert action.conversations.count() == 2
    assert action_figures(action)["messages_remaining"] == 2
    assert recompute_stats(action) == []


def test_bad_rows_are_reported_by_file_line_and_the_rest_is_added(admin_api, action):
    text = "phone,first_name\n2025550101,Ann\nnot a phone,Bad\n\n,Empty\n2025550102,Bob,extra\n202555010,Short\n2025550103,Cy\n"
    response = upload(admin_api, action, text)
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 2
    assert [row["row"] for row in body["invalid"]] == [3, 5, 6, 7]
    errors = {row["row"]: row["error"] for row in body["invalid"]}
    assert "not a phone number" in errors[3]
    assert errors[5] == "phone is empty"
    assert "more fields than the header" in errors[6]
    assert "not a valid phone number" in errors[7]
    assert set(action.conversations.values_list("contact__phone", flat=True)) == {"+12025550101", "+12025550103"}


def test_duplicates_within_the_file_and_already_in_the_action_are_counted(admin_api, action):
    first = upload(admin_api, action, "phone\n2025550101\n(202) 555-0101\n+12025550101\n2025550102\n")
    assert first.json() == {"created": 2, "duplicates": 2, "invalid": [], "opted_out": 0}
    again = upload(admin_api, action, "phone\n202-555-0102\n2025550103\n")
    assert again.json() == {"created": 1, "duplicates": 1, "invalid": [], "opted_out": 0}
    assert action.conversations.count() == 3
    assert recompute_stats(action) == []


def test_assigned_user_email_assigns_known_users_and_rejects_unknown_ones(admin_api, action, org, other_org):
    ann = make_member(org, username="ann@example.org")
    make_member(other_org, username="stranger@example.org")
    text = (
        "phone,assigned_user_email\n"
        "2025550101,ANN@example.org\n"
        "2025550102,nobody@example.org\n"
        "2025550103,stranger@example.org\n"
        "2025550104,\n"
    )
    body = upload(admin_api, action, text).json()
    assert body["created"] == 2
    assert [(r["row"], "nobody@example.org" in r["error"]) for r in body["invalid"]] == [(3, True), (4, False)]
    assert "stranger@example.org" in body["invalid"][1]["error"]
    assigned = dict(action.conversations.values_list("contact__phone", "assigned_user_id"))
    assert assigned == {"+12025550101": ann.id, "+12025550104": None}
    assert ActionRecipient.objects.filter(action=action, user=ann).exists(), "an assigned user is sent the action"
    assert action_figures(action)["sent_to"] == 1
    assert recompute_stats(action) == []


def test_phones_opted_out_in_the_organization_are_counted_not_added(admin_api, action, org, other_org):
    OptOut.objects.create(organization=org, phone="+12025550101", source=OptOut.Source.KEYWORD, created_at="2024-01-01T00:00Z")
    OptOut.objects.create(
        organization=other_org, phone="+12025550102", source=OptOut.Source.KEYWORD, created_at="2024-01-01T00:00Z"
    )
    body = upload(admin_api, action, "phone\n2025550101\n2025550102\n").json()
    assert body == {"created": 1, "duplicates": 0, "invalid": [], "opted_out": 1}
    assert list(action.conversations.values_list("contact__phone", flat=True)) == ["+12025550102"]


def test_a_contact_known_to_the_organization_is_reused(admin_api, org):
    known = ContactFactory(organization=org, phone="+12025550101", first_name="Ann", attributes={"ward": "1"})
    earlier = ActionFactory(organization=org)
    Conversation.objects.create(organization=org, action=earlier, contact=known)
    action = ActionFactory(organization=org)
    body = upload(admin_api, action, "phone,last_name,county\n2025550101,Lee,Kent\n").json()
    assert body["created"] == 1
    assert Contact.objects.filter(organization=org).count() == 1
    known.refresh_from_db()
    assert action.conversations.get().contact_id == known.id
    assert (known.first_name, known.last_name, known.attributes) == ("Ann", "Lee", {"ward": "1", "county": "Kent"})


def test_the_default_region_is_configurable(admin_api, action, settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    assert upload(admin_api, action, "phone\n020 7946 0958\n").json()["created"] == 1
    assert action.conversations.get().contact.phone == "+442079460958"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"first_name,last_name\nAnn,Lee\n", "no 'phone' column", id="no-phone-column"),
        pytest.param("phone,first_name\n2025550101,Zoë\n".encode("utf-16"), "not UTF-8", id="utf-16"),
        pytest.param("phone,first_name\n2025550101,Andr\xe9\n".encode("latin-1"), "not UTF-8", id="latin-1"),
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"\n \n", "empty", id="blank"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not", id="binary"),
        pytest.param(b"phone\x00,name\n1\x00,2\n", "not a CSV text file", id="nul-bytes"),
        pytest.param(b'phone\n"' + b"2" * 200_000 + b"\n", "not valid CSV", id="huge-cell"),
    ],
)
def test_a_malformed_file_is_a_400_with_the_reason_and_stores_nothing(admin_api, action, content, reason):
    response = upload(admin_api, action, content)
    assert response.status_code == 400, response.content
    assert reason in response.json()["file"]
    assert nothing_stored(action)


def test_an_unclosed_quote_makes_its_row_invalid_without_echoing_the_file(admin_api, action):
    body = upload(admin_api, action, 'phone,name\n2025550101,Ann\n"2025550102,Bob\n' + "2025550103,Cy\n" * 50).json()
    assert body["created"] == 1
    assert len(body["invalid"]) == 1, "the rest of the file is one bad cell, reported once"
    assert len(body["invalid"][0]["error"]) < 120


def test_an_oversized_file_is_a_413_and_stores_nothing(admin_api, action, settings):
    settings.MAX_UPLOAD_BYTES = 64
    response = upload(admin_api, action, "phone\n" + "2025550101\n" * 10)
    assert response.status_code == 413
    assert "limit is 64 bytes" in response.json()["file"][0]
    assert nothing_stored(action)


def test_a_request_without_a_file_is_a_400_naming_the_field(admin_api, action):
    response = admin_api.post(f"/api/v1/actions/{action.id}/contacts/", {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_outsider_cannot_upload_into_another_organizations_action(outsider_api, action):
    assert upload(outsider_api, action, "phone\n2025550101\n").status_code == 404
    assert nothing_stored(action)


def test_volunteer_cannot_upload(volunteer_api, action):
    assert upload(volunteer_api, action, "phone\n2025550101\n").status_code == 403
    assert nothing_stored(action)


def test_any_text_survives_the_set_based_insert(admin_api, action):
    tricky = 'Zoë "Z" {O\'Neil}, \\ NULL'
    text = 'phone,first_name,last_name,notes\n2025550101,"Zoë ""Z"" {O\'Neil}, \\ NULL",NULL,"多 ✓ ""x"""\n2025550102,,,\n'
    assert upload(admin_api, action, text).json()["created"] == 2
    zoe = Contact.objects.get(phone="+12025550101")
    assert (zoe.first_name, zoe.last_name, zoe.attributes) == (tricky, "NULL", {"notes": '多 ✓ "x"'})
    blank = Contact.objects.get(phone="+12025550102")
    assert (blank.first_name, blank.attributes) == ("", {})
