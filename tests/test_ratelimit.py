"""Abuse limits (issue 8): per address and per account on the webhooks, tracked links, the
login form and the API, answered with a clear 429 and Retry-After; a correctly signed
Twilio request is never limited; with Redis down every request goes through.

The test environment raises every limit far above what the suite sends (pytest.ini); each
test here lowers the one it proves."""

import io

import pytest
import redis
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from actions.links import link_for
from actions.models import LinkClick, TwilioEvent
from actions.tests.helpers import STATUS, post_webhook, status_params
from conftest import client_for
from p2p_admin import ratelimit
from p2p_admin.ratelimit import KEY_PREFIX, limit_take
from tests.factories import PASSWORD, add_conversation, make_member

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture(autouse=True)
def fresh_counters():
    """Counters live in Redis, outside the test transaction: every test starts from zero."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    for key in client.scan_iter(f"{KEY_PREFIX}:*"):
        client.delete(key)
    ratelimit._redis_off_until["at"] = 0.0
    yield
    ratelimit._redis_off_until["at"] = 0.0


@pytest.fixture
def limit(settings):
    """limit("scope", count, seconds) lowers one limit for this test."""

    def lower(scope: str, count: int, seconds: int = 60) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (count, seconds)}

    return lower


# --- the counter ----------------------------------------------------------------------------


def test_a_fixed_window_allows_the_limit_then_says_when_it_ends(limit):
    limit("link", 3, 60)
    assert [limit_take(scope="link", key="1.2.3.4", now=6000.5) for _ in range(3)] == [0.0] * 3
    assert limit_take(scope="link", key="1.2.3.4", now=6010.5) == pytest.approx(49.5)
    assert limit_take(scope="link", key="5.6.7.8", now=6010.5) == 0.0, "each key counts on its own"
    assert limit_take(scope="link", key="1.2.3.4", now=6060.0) == 0.0, "a new window starts from zero"


def test_with_redis_down_requests_go_through_and_redis_is_left_alone_a_moment(limit, settings, monkeypatch):
    limit("link", 1, 60)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert [limit_take(scope="link", key="k", now=7000.0) for _ in range(3)] == [0.0] * 3
    assert ratelimit._redis_off_until["at"] == pytest.approx(7000.0 + ratelimit.OFF_AFTER_ERROR_SECONDS)


def test_switched_off_nothing_is_counted(limit, settings):
    limit("link", 1, 60)
    settings.RATE_LIMITS_ENABLED = False
    assert [limit_take(scope="link", key="k") for _ in range(5)] == [0.0] * 5


# --- Twilio webhooks ------------------------------------------------------------------------


def forged(client, org, n: int):
    params = status_params(org, "SM" + "f" * 32, "delivered")
    return [post_webhook(client, STATUS, params, signature="not-the-signature") for _ in range(n)]


def test_refused_webhooks_from_one_address_turn_into_429_with_retry_after(client, org, limit):
    limit("webhook_refused", 3)
    answers = forged(client, org, 4)
    assert [r.status_code for r in answers] == [403, 403, 403, 429]
    assert "X-Twilio-Signature" in answers[0].json()["detail"]
    assert "Too many requests" in answers[3].json()["detail"] and 1 <= int(answers[3]["Retry-After"]) <= 60
    assert TwilioEvent.objects.count() == 0


def test_a_signed_request_is_never_limited_even_from_an_address_over_its_limit(client, org, limit):
    limit("webhook_refused", 2)
    limit("webhook_refused_account", 2)
    assert forged(client, org, 5)[-1].status_code == 429
    for n in range(5):
        params = status_params(org, f"SM{n:032d}", "delivered")
        assert post_webhook(client, STATUS, params, token=org.twilio_auth_token).status_code == 204
    assert TwilioEvent.objects.count() == 5


def test_forgeries_naming_one_account_are_limited_across_addresses(org, limit):
    limit("webhook_refused_account", 3)
    answers = [forged(APIClient(REMOTE_ADDR=f"10.0.0.{n}"), org, 1)[0].status_code for n in range(1, 6)]
    assert answers == [403, 403, 403, 429, 429]


# --- tracked links --------------------------------------------------------------------------


def test_link_clicks_past_the_per_address_limit_are_429_and_not_counted(client, action, limit):
    limit("link", 3)
    link = link_for(add_conversation(action), "https://example.org/rsvp")
    answers = [client.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER) for _ in range(4)]
    assert [r.status_code for r in answers] == [302, 302, 302, 429]
    assert "Too many requests" in answers[3].content.decode() and answers[3]["Retry-After"]
    assert LinkClick.objects.count() == 3
    other = client.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302, "another address is not affected"


def test_behind_a_proxy_the_forwarded_address_is_the_one_limited(client, action, limit, settings):
    limit("link", 1)
    settings.TRUSTED_PROXY_COUNT = 1
    link = link_for(add_conversation(action), "https://example.org/rsvp")

    def click(forwarded: str) -> int:
        return client.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER, HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert click("203.0.113.1") == 302
    assert click("203.0.113.1") == 429
    assert click("203.0.113.2") == 302, "the proxy's own address (REMOTE_ADDR) is shared, the client's is not"
    assert click("1.1.1.1, 203.0.113.1") == 429, "what the client put to the left of the proxy's entry is ignored"


# --- API and login --------------------------------------------------------------------------


def test_the_api_limits_each_user_with_a_json_429(admin_api, admin_user, org, limit):
    limit("api_user", 3)
    answers = [admin_api.get("/api/v1/actions/") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert "throttled" in answers[3].json()["detail"] and int(answers[3]["Retry-After"]) >= 1
    assert client_for(make_member(org)).get("/api/v1/me/actions/").status_code == 200, "another user has their own count"


def test_anonymous_api_calls_are_limited_per_address(db, limit):
    limit("api_anon", 2)
    body = {"username": "nobody@example.org", "password": "x"}
    answers = [APIClient().post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)]
    assert answers == [400, 400, 429]
    other = APIClient(REMOTE_ADDR="198.51.100.9").post("/api/v1/auth/token/", body, format="json")
    assert other.status_code == 400


def test_login_form_posts_are_limited_per_address_but_the_page_still_loads(client, admin_user, limit):
    limit("login", 2)
    for _ in range(2):
        client.post("/login/", {"username": "someone@example.org", "password": "wrong"})
    refused = client.post("/login/", {"username": admin_user.username, "password": PASSWORD})
    assert refused.status_code == 429 and "Too many requests" in refused.content.decode()
    assert client.get("/login/").status_code == 200


# --- request size ---------------------------------------------------------------------------


def test_a_json_body_past_the_limit_is_413_before_it_is_read(admin_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = admin_api.post("/api/v1/actions/", {"name": "x" * 2000, "initial_script": "Hi"}, format="json")
    assert response.status_code == 413
    assert "the limit is 1000 bytes" in response.json()["detail"]


def test_a_form_body_past_the_limit_on_a_webhook_is_413_not_500(client, org, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    params = {**status_params(org, "SM" + "e" * 32, "delivered"), "Body": "x" * 2000}
    response = post_webhook(client, STATUS, params, token=org.twilio_auth_token)
    assert response.status_code == 413 and "1000 bytes" in response.json()["detail"]
    assert TwilioEvent.objects.count() == 0


def test_a_form_field_past_the_limit_inside_an_upload_is_413_not_500(admin_api, action, settings):
    """Within the upload's size but with a form field larger than DATA_UPLOAD_MAX_MEMORY_SIZE:
    Django refuses it while parsing (RequestDataTooBig), and handler400 answers 413."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    csv = io.BytesIO(b"phone\n2025550101\n")
    csv.name = "contacts.csv"
    response = admin_api.post(f"/api/v1/actions/{action.id}/contacts/", {"file": csv, "note": "x" * 2000}, format="multipart")
    assert response.status_code == 413 and "the limit is 1000 bytes" in response.json()["detail"]


def test_too_many_form_fields_is_a_400_naming_the_limit(client, org, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    params = {**status_params(org, "SM" + "c" * 32, "delivered"), **{f"F{n}": "x" for n in range(30)}}
    response = post_webhook(client, STATUS, params, token=org.twilio_auth_token)
    assert response.status_code == 400 and "more than 20 form fields" in response.json()["detail"]


def test_a_too_large_page_form_is_a_413_page(client, admin_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/login/", {"username": admin_user.username, "password": "x" * 2000})
    assert response.status_code == 413 and response["Content-Type"].startswith("text/html")
    assert "the limit is 1000 bytes" in response.content.decode()


def test_an_upload_within_max_upload_bytes_passes_the_body_limit(admin_api, action, settings):
    """Multipart uploads are held to MAX_UPLOAD_BYTES (the contact list), not the 1000 bytes of other bodies."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    csv = io.BytesIO(b"phone\n" + b"2025550101\n" * 300)
    csv.name = "contacts.csv"
    response = admin_api.post(f"/api/v1/actions/{action.id}/contacts/", {"file": csv}, format="multipart")
    assert response.status_code == 200 and response.json()["created"] == 1
