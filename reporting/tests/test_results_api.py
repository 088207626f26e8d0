"""GET /api/v1/actions/<id>/results/ (CONTRACT §3, §4)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.metrics import MESSAGE_PERFORMANCE, OVERVIEW
from reporting.recompute import recompute_stats
from reporting.tests.drive import busy_action, upload
from reporting.tests.recount import recount
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


def url(action) -> str:
    return f"/api/v1/actions/{action.id}/results/"


def test_results_equal_an_independent_count(admin_api, volunteer, action):
    busy_action(action, volunteer)
    body = admin_api.get(url(action)).json()
    expected = recount(action)
    assert body["overview"] == {m.key: expected[m.key] for m in OVERVIEW}
    assert body["message_performance"] == {m.key: expected[m.key] for m in MESSAGE_PERFORMANCE}
    # The world holds each kind of fact at least once, so a figure stuck at 0 cannot pass.
    assert all(expected[k] > 0 for k in expected if k != "messages_remaining"), expected
    assert recompute_stats(action) == []


def test_results_shape_and_rates(admin_api, volunteer, action):
    busy_action(action, volunteer)
    body = admin_api.get(url(action)).json()
    assert set(body) == {"overview", "message_performance", "rates", "errors", "datasync"}
    mp = body["message_performance"]
    outbound = mp["initial_messages"] + mp["follow_ups"]
    assert body["rates"] == pytest.approx(
        {
            "delivery_rate": mp["delivered"] / outbound,
            "response_rate": mp["reports_available"] / mp["initial_messages"],
            "opt_out_rate": mp["opt_outs"] / mp["initial_messages"],
            "filtering_rate": mp["carrier_filtering"] / outbound,
        }
    )
    assert all(0 < v <= 1 for v in body["rates"].values())
    assert set(body["datasync"]) >= {"synced", "pending", "failed", "skipped", "last_synced_at", "by_source", "top_errors"}


def test_errors_name_and_class_each_code(admin_api, volunteer, action):
    busy_action(action, volunteer)
    errors = {e["code"]: e for e in admin_api.get(url(action)).json()["errors"]}
    assert {code: (e["class"], e["count"]) for code, e in errors.items()} == {
        30007: ("carrier_filtering", 1),
        30004: ("carrier_filtering", 1),
        30003: ("bad_recipient", 1),
        21211: ("bad_recipient", 1),
        21610: ("opt_out", 1),
    }
    assert errors[30007]["name"] == "Message filtered"
    mp = admin_api.get(url(action)).json()["message_performance"]
    filtered = sum(e["count"] for e in errors.values() if e["class"] == "carrier_filtering")
    assert mp["carrier_filtering"] == filtered
    assert mp["twilio_errors"] == sum(e["count"] for e in errors.values()) - filtered


def test_an_untouched_action_answers_zeros(admin_api, action):
    body = admin_api.get(url(action)).json()
    assert set(body["overview"].values()) == {0}
    assert set(body["rates"].values()) == {0}
    assert body["errors"] == []


def test_query_count_does_not_grow_with_the_action(admin_api, volunteer, org):
    small, large = ActionFactory(organization=org), ActionFactory(organization=org)
    upload(small, 2)
    busy_action(large, volunteer, contacts=40)
    counts = []
    for action in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            assert admin_api.get(url(action)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_outsider_gets_404_volunteer_403_anonymous_401(outsider_api, volunteer_api, action):
    from rest_framework.test import APIClient

    assert outsider_api.get(url(action)).status_code == 404
    assert volunteer_api.get(url(action)).status_code == 403
    assert APIClient().get(url(action)).status_code == 401
    assert outsider_api.get("/api/v1/actions/999999999/results/").status_code == 404
