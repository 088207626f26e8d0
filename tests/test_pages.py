"""Login, logout, the home page and the base layout."""

import pytest

from tests.factories import PASSWORD, ActionFactory, send_action

pytestmark = pytest.mark.django_db


def test_login_with_the_email_and_password_lands_an_admin_on_the_actions_list(client, admin_user):
    page = client.get("/login/")
    assert page.status_code == 200 and b'name="username"' in page.content
    response = client.post("/login/", {"username": admin_user.username, "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(response["Location"], follow=True)
    assert home.redirect_chain[-1][0] == "/actions/"
    assert admin_user.email.encode() in home.content and b'href="/admin/"' in home.content


def test_a_wrong_password_shows_the_form_again(client, admin_user):
    response = client.post("/login/", {"username": admin_user.username, "password": "wrong"})
    assert response.status_code == 200 and b'class="error"' in response.content
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(client, admin_user):
    client.force_login(admin_user)
    assert client.post("/logout/").status_code == 302
    assert client.get("/").url == "/login/"


def test_anonymous_home_goes_to_login(client):
    assert client.get("/").url == "/login/"


def test_a_volunteer_home_lists_the_actions_sent_to_them(client, volunteer, org):
    action = ActionFactory(organization=org, name="Door knock follow-up")
    ActionFactory(organization=org, name="Not for you")
    send_action(action, volunteer)
    client.force_login(volunteer)
    page = client.get("/")
    assert page.status_code == 200
    assert b"Door knock follow-up" in page.content and b"Not for you" not in page.content
    assert b'href="/actions/"' not in page.content and b'href="/admin/"' not in page.content
