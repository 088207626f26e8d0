"""CSRF on every form and every session-authenticated API call: each URL pattern that accepts
an unsafe method, called by a logged-in browser without the token, answers 403 naming CSRF;
the same call with the token gets past the check (the control). The Twilio webhooks are the
exception: they are checked by signature instead. Token-authenticated API calls need no
CSRF token (no browser sends that header by itself)."""

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from actions.tests.helpers import STATUS, post_webhook, status_params
from conftest import client_for
from tests.endpoints import all_endpoints

pytestmark = pytest.mark.django_db

PK = 2_000_000_001
UNSAFE = ("post", "put", "patch", "delete")
# Not session-authenticated: signed by Twilio, or the token exchange itself (no session yet).
NOT_CSRF = ("webhooks/", "api/v1/auth/token/")


def unsafe_methods(endpoint) -> list[str]:
    # The admin's views are functions the walker cannot ask for their methods: POST stands for all.
    return ["post"] if endpoint.route.startswith("admin/") else [m for m in endpoint.methods if m in UNSAFE]


CALLS = [
    pytest.param(e.path, m, id=f"{m.upper()} /{e.route}")
    for e in all_endpoints(PK)
    if not e.route.startswith(NOT_CSRF)
    for m in unsafe_methods(e)
]


@pytest.fixture
def browser(admin_user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


def test_the_walk_covers_forms_pages_admin_and_the_api():
    paths = {p.values[0] for p in CALLS}
    assert {"/login/", "/logout/", f"/actions/{PK}/datasync/", "/api/v1/actions/", f"/api/v1/actions/{PK}/send/"} <= paths
    assert any(p.startswith("/admin/") for p in paths)


@pytest.mark.parametrize(("path", "method"), CALLS)
def test_an_unsafe_request_without_the_token_is_refused(browser, path, method):
    response = getattr(browser, method)(path, {}, content_type="application/json")
    assert response.status_code == 403, response.content[:300]
    assert "CSRF" in response.content.decode(), response.content[:300]


@pytest.mark.parametrize(("path", "method"), CALLS)
def test_the_same_request_with_the_token_passes_the_check(browser, path, method):
    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    response = getattr(browser, method)(path, {}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert "CSRF" not in body.decode(errors="replace"), body[:300]


def test_the_api_with_a_token_needs_no_csrf_token(admin_user):
    api = client_for(admin_user)
    api.handler.enforce_csrf_checks = True
    response = api.post("/api/v1/actions/", {"name": "GOTV", "initial_script": "Hi {first_name}"}, format="json")
    assert response.status_code == 201


def test_a_session_api_call_without_the_token_is_refused_with_json(browser):
    response = browser.post("/api/v1/actions/", {"name": "GOTV", "initial_script": "Hi"}, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_the_webhooks_take_no_csrf_token_but_a_twilio_signature(org):
    client = Client(enforce_csrf_checks=True)
    params = status_params(org, "SM" + "a" * 32, "delivered")
    assert post_webhook(client, STATUS, params, token=org.twilio_auth_token).status_code == 204
    refused = post_webhook(client, STATUS, params, signature="forged")
    assert refused.status_code == 403 and "CSRF" not in refused.json()["detail"]


def test_a_volunteer_session_is_held_to_csrf_too(volunteer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    response = client.post(f"/api/v1/me/actions/{PK}/start/", {}, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_the_login_form_refused_without_the_token_explains_what_to_do(db):
    page = Client(enforce_csrf_checks=True).post("/login/", {"username": "a@example.org", "password": "x"})
    text = page.content.decode()
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")
    assert "Reload the page" in text and "CSRF" in text
