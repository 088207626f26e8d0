"""Admin API (CONTRACT §3): token auth, volunteers, actions, sending, list shape."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from actions.models import Action, ActionRecipient
from tests.factories import PASSWORD, ActionFactory, make_member
from tests.helpers import action_figures

pytestmark = pytest.mark.django_db

ACTION = {
    "name": "GOTV",
    "initial_script": "Hi {first_name}!",
    "tags": ["supporter", "undecided"],
    "custom_fields": [
        {"key": "support", "label": "Support", "type": "choice", "choices": ["1", "2", "3"]},
        {"key": "age", "label": "Age", "type": "number"},
    ],
    "response_scripts": [{"key": "thanks", "label": "Thanks", "body": "Thanks {first_name}!"}],
}


# --- token auth ----------------------------------------------------------------------


def test_a_token_is_exchanged_for_the_username_and_password(admin_user):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": admin_user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/actions/").status_code == 200


def test_a_wrong_password_gets_no_token(admin_user):
    response = APIClient().post("/api/v1/auth/token/", {"username": admin_user.username, "password": "wrong"}, format="json")
    assert response.status_code == 400 and "token" not in response.json()


@pytest.mark.parametrize("header", [None, "Token nope", "Token ", "Bearer abc"])
def test_no_or_a_bad_token_is_a_401(db, header):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/actions/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- volunteers ----------------------------------------------------------------------


def test_admin_creates_a_volunteer_who_can_then_get_a_token(admin_api, org):
    body = {"email": "New.Person@Example.org", "first_name": "New", "last_name": "Person", "password": "a-long-password"}
    response = admin_api.post("/api/v1/volunteers/", body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["email"] == "new.person@example.org" and created["role"] == "volunteer" and "password" not in created
    user = get_user_model().objects.get(pk=created["id"])
    assert user.membership.organization == org
    token = APIClient().post("/api/v1/auth/token/", {"username": "new.person@example.org", "password": "a-long-password"})
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "A", "password": "a-long-password"}, "email"),
        ({"email": "not-an-email", "password": "a-long-password"}, "email"),
        ({"email": "a@example.org"}, "password"),
        ({"email": "a@example.org", "password": "short"}, "password"),
    ],
)
def test_a_bad_volunteer_is_a_400_naming_the_field(admin_api, body, field):
    response = admin_api.post("/api/v1/volunteers/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_an_email_already_in_use_anywhere_is_a_400(admin_api, outsider):
    body = {"email": outsider.email.upper(), "password": "a-long-password"}
    response = admin_api.post("/api/v1/volunteers/", body, format="json")
    assert response.status_code == 400 and "email" in response.json()


def test_volunteers_lists_only_my_organization(admin_api, org, outsider):
    mine = make_member(org)
    ids = [u["id"] for u in admin_api.get("/api/v1/volunteers/").json()["results"]]
    assert mine.id in ids and outsider.id not in ids


# --- actions -------------------------------------------------------------------------


def test_admin_creates_an_action(admin_api, org):
    response = admin_api.post("/api/v1/actions/", ACTION, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft" and body["tags"] == ["supporter", "undecided"]
    assert body["custom_fields"][1] == {"key": "age", "label": "Age", "type": "number", "choices": []}
    assert Action.objects.get(pk=body["id"]).organization == org


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"initial_script": None}, "initial_script"),
        ({"tags": ["a", "a"]}, "tags"),
        ({"tags": "a"}, "tags"),
        ({"custom_fields": [{"key": "x", "type": "colour"}]}, "custom_fields[0].type"),
        ({"custom_fields": [{"key": "x", "type": "choice"}]}, "custom_fields[0].choices"),
        ({"custom_fields": [{"key": "bad key!", "type": "text"}]}, "custom_fields[0].key"),
        ({"custom_fields": [{"key": "x"}, {"key": "x"}]}, "custom_fields[1].key"),
        ({"response_scripts": [{"key": "x", "body": ""}]}, "response_scripts[0].body"),
    ],
)
def test_a_bad_action_is_a_400_naming_the_field(admin_api, change, field):
    response = admin_api.post("/api/v1/actions/", {**ACTION, **change}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Action.objects.exists()


def test_admin_changes_an_actions_status(admin_api, action):
    response = admin_api.patch(f"/api/v1/actions/{action.id}/", {"status": "paused"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "paused"
    bad = admin_api.patch(f"/api/v1/actions/{action.id}/", {"status": "exploded"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()


def test_sending_an_action_to_users_makes_them_recipients_and_a_draft_live(admin_api, org):
    action = ActionFactory(organization=org, status=Action.Status.DRAFT)
    users = [make_member(org) for _ in range(2)]
    response = admin_api.post(f"/api/v1/actions/{action.id}/send/", {"user_ids": [u.id for u in users]}, format="json")
    assert response.status_code == 200
    again = admin_api.post(f"/api/v1/actions/{action.id}/send/", {"user_ids": [users[0].id]}, format="json")
    assert again.json()["new_recipients"] == 0
    assert ActionRecipient.objects.filter(action=action).count() == 2
    assert action_figures(action)["sent_to"] == 2
    action.refresh_from_db()
    assert action.status == Action.Status.LIVE


@pytest.mark.parametrize("user_ids", [[], "x", [999_999_999]])
def test_sending_to_bad_user_ids_is_a_400(admin_api, action, user_ids):
    response = admin_api.post(f"/api/v1/actions/{action.id}/send/", {"user_ids": user_ids}, format="json")
    assert response.status_code == 400 and "user_ids" in response.json()


def test_sending_to_another_organizations_user_is_a_400_and_sends_nothing(admin_api, action, volunteer, outsider):
    response = admin_api.post(f"/api/v1/actions/{action.id}/send/", {"user_ids": [volunteer.id, outsider.id]}, format="json")
    assert response.status_code == 400 and "user_ids" in response.json()
    assert not ActionRecipient.objects.exists()


# --- list shape ----------------------------------------------------------------------


def test_lists_are_paginated_with_page_and_page_size(admin_api, org, other_org):
    for i in range(7):
        ActionFactory(organization=org, name=f"A{i}")
    ActionFactory(organization=other_org)
    first = admin_api.get("/api/v1/actions/", {"page_size": 3}).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 7 and len(first["results"]) == 3 and first["previous"] is None
    assert "page=2" in first["next"] and "page_size=3" in first["next"]
    last = admin_api.get("/api/v1/actions/", {"page_size": 3, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None and last["previous"]
    assert admin_api.get("/api/v1/actions/", {"page_size": 3, "page": 4}).status_code == 404


def test_lists_are_ordered_by_the_ordering_parameter(admin_api, org):
    for name in ("b", "c", "a"):
        ActionFactory(organization=org, name=name)
    names = [a["name"] for a in admin_api.get("/api/v1/actions/", {"ordering": "name"}).json()["results"]]
    assert names == ["a", "b", "c"]
    names = [a["name"] for a in admin_api.get("/api/v1/actions/", {"ordering": "-name"}).json()["results"]]
    assert names == ["c", "b", "a"]
    newest_first = [a["name"] for a in admin_api.get("/api/v1/actions/").json()["results"]]
    assert newest_first == ["a", "c", "b"]
