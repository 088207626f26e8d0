"""Login lockout (django-axes): LOGIN_FAILURE_LIMIT failures for one username from one address
lock that pair for LOGIN_LOCKOUT_MINUTES, on the login form and on the token endpoint alike;
a success resets the count; `axes_reset_username` unlocks; the lockout is audited."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from rest_framework.test import APIClient

from engagement.models import AuditEvent
from tests.factories import PASSWORD
from tests.test_security_settings import production_env, settings_values

pytestmark = pytest.mark.django_db


def form_login(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def token_login(client: APIClient, username: str, password: str):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def fail(login, client, username: str, times: int) -> list[int]:
    return [login(client, username, "wrong-password").status_code for _ in range(times)]


def test_the_form_locks_after_five_failures_even_for_the_right_password(client, admin_user):
    assert fail(form_login, client, admin_user.username, 4) == [200] * 4
    locked = form_login(client, admin_user.username, "wrong-password")
    assert locked.status_code == 429 and locked["Content-Type"].startswith("text/html")
    page = locked.content.decode()
    assert "Too many failed logins" in page and "15 minutes" in page
    assert int(locked["Retry-After"]) == 15 * 60
    right = form_login(client, admin_user.username, PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session


def test_the_token_endpoint_locks_with_a_json_429(admin_user):
    client = APIClient()
    assert fail(token_login, client, admin_user.username, 4) == [400] * 4
    for password in ("wrong-password", PASSWORD):
        locked = token_login(client, admin_user.username, password)
        assert locked.status_code == 429 and locked["Content-Type"] == "application/json"
        assert "Too many failed logins" in locked.json()["detail"] and "token" not in locked.json()


def test_failures_count_across_the_form_and_the_api_and_email_case(client, admin_user):
    fail(form_login, client, admin_user.username.upper(), 3)
    fail(token_login, APIClient(), f" {admin_user.username} ", 2)
    assert token_login(APIClient(), admin_user.username, PASSWORD).status_code == 429


def test_the_lock_is_for_the_username_from_that_address_only(admin_user, volunteer):
    fail(token_login, APIClient(), admin_user.username, 5)
    assert token_login(APIClient(REMOTE_ADDR="198.51.100.20"), admin_user.username, PASSWORD).status_code == 200
    assert token_login(APIClient(), volunteer.username, PASSWORD).status_code == 200


def test_a_success_resets_the_count(admin_user):
    client = APIClient()
    fail(token_login, client, admin_user.username, 4)
    assert token_login(client, admin_user.username, PASSWORD).status_code == 200
    assert fail(token_login, client, admin_user.username, 4) == [400] * 4


def test_the_lock_ends_after_the_cool_off(admin_user, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    fail(token_login, APIClient(), admin_user.username, 5)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    assert token_login(APIClient(), admin_user.username, PASSWORD).status_code == 200


def test_an_admin_unlocks_with_axes_reset_username(admin_user):
    fail(token_login, APIClient(), admin_user.username, 5)
    call_command("axes_reset_username", admin_user.username, stdout=io.StringIO())
    assert token_login(APIClient(), admin_user.username, PASSWORD).status_code == 200


def test_the_lockout_is_in_the_organizations_audit_log_once(admin_user, org):
    fail(token_login, APIClient(), admin_user.username, 8)
    events = AuditEvent.objects.filter(verb=AuditEvent.Verb.LOGIN_LOCKOUT)
    assert events.count() == 1, "refused tries after the lock are not new events"
    event = events.get()
    assert event.organization_id == org.id and event.actor is None and event.subject_id == admin_user.id
    assert event.summary == {"username": admin_user.username, "ip": "127.0.0.1", "failures": 5}


def test_a_lockout_of_an_unknown_username_locks_without_an_audit_event(db):
    fail(token_login, APIClient(), "nobody@example.org", 5)
    assert token_login(APIClient(), "nobody@example.org", "x").status_code == 429
    assert not AuditEvent.objects.exists()


def test_limit_and_cool_off_come_from_the_environment():
    env = production_env(LOGIN_FAILURE_LIMIT="3", LOGIN_LOCKOUT_MINUTES="30")
    result = settings_values(env, "s.AXES_FAILURE_LIMIT", "s.AXES_COOLOFF_TIME.total_seconds()")
    assert result.returncode == 0, result.stderr[-800:]
    assert result.stdout.split() == ["3", "1800.0"]


def test_a_lower_limit_locks_sooner(admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert fail(token_login, APIClient(), admin_user.username, 3) == [400, 429, 429]
