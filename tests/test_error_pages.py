"""Every error says what went wrong: JSON `{"detail"}` under /api/ and /webhooks/, an HTML
page elsewhere, for each kind of failure a caller can meet (issue 8: every 4xx body is
informative). Each case names the words its body must contain."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from actions.links import link_for
from actions.tests.helpers import STATUS, post_webhook, status_params
from conftest import client_for
from tests.factories import ActionFactory, add_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_action(other_org):
    return ActionFactory(organization=other_org)


def api_case(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    detail = str(response.json())
    for word in words:
        assert word in detail, (word, detail)


def page_case(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert f'data-status="{status}"' in text, "our error page, not a bare one"
    for word in words:
        assert word in text, (word, text[:2000])


# --- the API and the webhooks: JSON ---------------------------------------------------------


def test_api_bad_json_body(admin_api):
    response = admin_api.post("/api/v1/actions/", "{not json", content_type="application/json")
    api_case(response, 400, "JSON parse error")


def test_api_bad_field_names_the_field(admin_api):
    api_case(admin_api.post("/api/v1/actions/", {"initial_script": "Hi"}, format="json"), 400, "name", "required")


def test_api_unknown_url(admin_api):
    api_case(admin_api.get("/api/v1/no-such-thing/"), 404, "No API endpoint at /api/v1/no-such-thing/")


def test_api_wrong_method(admin_api):
    api_case(admin_api.delete("/api/v1/actions/"), 405, 'Method "DELETE" not allowed')


def test_api_no_credentials(db):
    api_case(APIClient().get("/api/v1/actions/"), 401, "Authentication credentials were not provided")


def test_api_bad_token(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    api_case(client.get("/api/v1/actions/"), 401, "Invalid token")


def test_api_forbidden_for_a_volunteer(volunteer_api):
    api_case(volunteer_api.get("/api/v1/actions/"), 403, "Only an organization admin can do this")


def test_api_another_organizations_object(admin_api, foreign_action):
    api_case(admin_api.get(f"/api/v1/actions/{foreign_action.id}/"), 404, "No Action matches the given query")


def test_api_too_large(admin_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = admin_api.post("/api/v1/actions/", {"name": "x" * 200, "initial_script": "Hi"}, format="json")
    api_case(response, 413, "the limit is 100 bytes")


def test_api_rate_limited(admin_api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_user": (1, 3600)}
    admin_api.get("/api/v1/actions/")
    response = admin_api.get("/api/v1/actions/")
    api_case(response, 429, "throttled", "seconds")
    assert int(response["Retry-After"]) > 0


def test_api_conflict(volunteer_api, volunteer, action):
    conversation = add_conversation(action, user=volunteer)
    url = f"/api/v1/conversations/{conversation.id}/messages/"
    api_case(volunteer_api.post(url, {"body": "a follow-up first"}, format="json"), 409, "send the initial message first")


def test_webhook_unsigned(client, org):
    response = post_webhook(client, STATUS, status_params(org, "SM" + "a" * 32, "delivered"))
    api_case(response, 403, "X-Twilio-Signature", "AccountSid")


def test_webhook_signed_but_malformed(client, org):
    params = {
        k: v for k, v in status_params(org, "SM" + "a" * 32, "delivered").items() if not k.endswith("Sid") or k == "AccountSid"
    }
    api_case(post_webhook(client, STATUS, params, token=org.twilio_auth_token), 400, "MessageSid")


def test_webhook_wrong_method(client):
    response = client.get(STATUS)
    api_case(response, 405, f"GET is not allowed at {STATUS}; use POST")
    assert response["Allow"] == "POST"


# --- pages: HTML ----------------------------------------------------------------------------


@pytest.fixture
def browser(client, admin_user) -> Client:
    client.force_login(admin_user)
    return client


def test_page_unknown_url(browser):
    page_case(browser.get("/no-such-page/"), 404, "No page at /no-such-page/", 'href="/actions/"')


def test_page_another_organizations_action(browser, foreign_action):
    page_case(browser.get(f"/actions/{foreign_action.id}/results/"), 404, "No action matches the given query")


def test_page_forbidden_for_a_volunteer(client, volunteer):
    client.force_login(volunteer)
    page_case(client.get("/actions/"), 403, "Only an organization admin can see this page", volunteer.email)


def test_page_wrong_method(browser, action):
    response = browser.get(f"/actions/{action.id}/datasync/retry/")
    page_case(response, 405, f"GET is not allowed at /actions/{action.id}/datasync/retry/")


def test_tracked_link_wrong_method_and_unknown_code(client, action):
    link = link_for(add_conversation(action), "https://example.org/")
    page_case(client.post(f"/l/{link.code}"), 405, "POST is not allowed", "GET")
    page_case(client.get("/l/nope"), 404, "No link matches the given code")


def test_page_too_large(browser, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    page_case(browser.post("/logout/", {"x": "y" * 200}), 413, "the limit is 100 bytes")


def test_page_rate_limited(client, action, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "link": (1, 3600)}
    link = link_for(add_conversation(action), "https://example.org/")
    client.get(f"/l/{link.code}", HTTP_USER_AGENT="Mozilla/5.0")
    page_case(client.get(f"/l/{link.code}", HTTP_USER_AGENT="Mozilla/5.0"), 429, "Too many requests", "seconds")


def test_page_csrf_failure(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    page_case(client.post("/logout/"), 403, "CSRF", "Reload the page")


def test_page_lockout(client, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 1
    page_case(client.post("/login/", {"username": admin_user.username, "password": "wrong"}), 429, "Too many failed logins")


# --- server errors --------------------------------------------------------------------------


@pytest.fixture
def failing(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("qqINTERNALqq")

    monkeypatch.setattr("actions.api.ActionListCreate.list", boom)
    monkeypatch.setattr("reporting.views.ActionsListPage.get_context_data", boom)


def test_api_server_error_names_the_request_id_and_hides_the_cause(admin_user, failing):
    client = client_for(admin_user)
    client.raise_request_exception = False
    response = client.get("/api/v1/actions/")
    api_case(response, 500, "went wrong on our side", response["X-Request-ID"])
    assert response.json()["request_id"] == response["X-Request-ID"] and "qqINTERNALqq" not in response.content.decode()


def test_page_server_error_names_the_request_id_and_hides_the_cause(admin_user, failing):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    response = client.get("/actions/")
    page_case(response, 500, "went wrong on our side", response["X-Request-ID"])
    assert "qqINTERNALqq" not in response.content.decode()
