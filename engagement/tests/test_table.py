"""The User Engagement table (CONTRACT §3): one row per user the action was sent to, each
figure the §4 figure restricted to the user, filterable, sortable, paginated, read from
aggregates with a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions.models import ActionRecipient
from actions.services.actions import action_send, recipient_record
from tests.factories import ActionFactory, make_member

from .helpers import conversations, opt_out, reply, report, send

URL = "/api/v1/actions/{}/engagement/"


@pytest.fixture
def team(org, action, twilio):
    """Ann worked hard, Bob only looked, Cyd was only sent it."""
    ann = make_member(org, first_name="Ann", last_name="Able", email="ann@example.org", username="ann@example.org")
    bob = make_member(org, first_name="Bob", last_name="Brown", email="bob@example.org", username="bob@example.org")
    cyd = make_member(org, first_name="Cyd", last_name="Cole", email="cyd@example.org", username="cyd@example.org")
    action_send(action=action, user_ids=[ann.id, bob.id, cyd.id])
    c = conversations(action, ann, 5)
    for conv in c[:4]:
        send(conv, ann)
    reply(c[0])
    send(c[0], ann, "Great, see you there")  # answers within the minute
    report(c[0], ann, ["supporter"])
    reply(c[1])
    opt_out(c[2], ann)
    recipient_record(action=action, user=ann, event="complete")
    recipient_record(action=action, user=ann, event="complete")
    recipient_record(action=action, user=bob, event="seen")
    conversations(action, bob, 2)
    return {"ann": ann, "bob": bob, "cyd": cyd}


def rows_by_email(response) -> dict:
    assert response.status_code == 200, response.content
    return {r["email"]: r for r in response.json()["results"]}


def test_each_row_is_the_users_share_of_the_figures(admin_api, action, team):
    rows = rows_by_email(admin_api.get(URL.format(action.id)))
    ann = rows["ann@example.org"]
    assert ann["status"] == "completed" and ann["performs"] == 2
    assert {k: ann[k] for k in ("held", "initial_messages", "remaining", "responses", "follow_ups")} == {
        "held": 5,
        "initial_messages": 4,
        "remaining": 1,
        "responses": 2,
        "follow_ups": 1,
    }
    assert (ann["needs_attention"], ann["opt_outs"], ann["reports"]) == (1, 1, 1)
    assert ann["answered"] == 1 and 0 <= ann["median_answer_seconds"] <= 60
    assert ann["name"] == "Ann Able" and ann["user_id"] == team["ann"].id and ann["last_active"]
    bob, cyd = rows["bob@example.org"], rows["cyd@example.org"]
    assert (bob["status"], bob["held"], bob["remaining"], bob["initial_messages"]) == ("seen", 2, 2, 0)
    assert (cyd["status"], cyd["held"], cyd["median_answer_seconds"], cyd["last_active"]) == ("sent", 0, None, None)
    assert admin_api.get(URL.format(action.id)).json()["count"] == 3


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"ann", "bob", "cyd"}),
        ("has_needs_attention=true", {"ann"}),
        ("has_needs_attention=false", {"bob", "cyd"}),
        ("has_unsent=true", {"ann", "bob"}),
        ("completed=true", {"ann"}),
        ("seen_not_started=true", {"bob"}),
        ("never_seen=true", {"cyd"}),
        ("status=seen&status=sent", {"bob", "cyd"}),
        ("q=BROWN", {"bob"}),
        ("q=cyd@", {"cyd"}),
        ("min_initials=1", {"ann"}),
        ("active_within=1h", {"ann", "bob"}),
        ("has_unsent=true&completed=false", {"bob"}),
    ],
)
def test_filters_in_the_query_string(admin_api, action, team, query, expected):
    body = admin_api.get(URL.format(action.id) + "?" + query).json()
    assert {r["email"].split("@")[0] for r in body["results"]} == expected
    assert body["count"] == len(expected)


def test_activities_received_keeps_users_who_also_got_the_other_actions(admin_api, org, action, team):
    other = ActionFactory(organization=org)
    action_send(action=other, user_ids=[team["bob"].id])
    body = admin_api.get(f"{URL.format(action.id)}?received={action.id}&received={other.id}").json()
    assert [r["email"] for r in body["results"]] == ["bob@example.org"]


def test_bad_filter_values_answer_400_naming_each(admin_api, action, team, other_org):
    foreign = ActionFactory(organization=other_org)
    r = admin_api.get(f"{URL.format(action.id)}?status=done&min_initials=many&received={foreign.id}&ordering=shoe_size")
    assert r.status_code == 400
    assert {"status", "min_initials", "received"} <= set(r.json())
    r = admin_api.get(f"{URL.format(action.id)}?ordering=shoe_size")
    assert r.status_code == 400 and "ordering" in r.json()


@pytest.mark.parametrize("column", ["name", "status", "held", "initial_messages", "median_answer_seconds", "last_active"])
def test_sortable_by_any_column_both_ways(admin_api, action, team, column):
    rank = {"sent": 0, "seen": 1, "started": 2, "completed": 3}

    def values(ordering):
        rows = admin_api.get(f"{URL.format(action.id)}?ordering={ordering}").json()["results"]
        assert len(rows) == 3
        found = [r[column] for r in rows if r[column] is not None]
        return [rank[v] for v in found] if column == "status" else found

    up, down = values(column), values(f"-{column}")
    assert up == sorted(up) and down == sorted(down, reverse=True)
    # Only Ann has answered a reply: users without a median sort last either way.
    assert len(set(up)) > 1 or (column == "median_answer_seconds" and len(up) == 1)


def test_paginated_with_page_and_page_size(admin_api, action, team):
    first = admin_api.get(f"{URL.format(action.id)}?page_size=2&ordering=name").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"] and first["previous"] is None
    second = admin_api.get(first["next"]).json()
    assert [r["email"] for r in second["results"]] == ["cyd@example.org"]


def test_query_count_does_not_grow_with_users(admin_api, org, action, team):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_api.get(URL.format(action.id)).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    action_send(action=action, user_ids=[make_member(org).id for _ in range(25)])
    assert ActionRecipient.objects.filter(action=action).count() == 28
    assert queries() == few


def test_outsider_404_volunteer_403_and_no_token_401(admin_api, outsider_api, volunteer_api, action, team):
    from rest_framework.test import APIClient

    assert outsider_api.get(URL.format(action.id)).status_code == 404
    assert volunteer_api.get(URL.format(action.id)).status_code == 403
    assert APIClient().get(URL.format(action.id)).status_code == 401
    assert admin_api.get(URL.format(999999)).status_code == 404


@pytest.mark.parametrize(
    "histogram, median",
    [
        ({"answer_15m": 1}, 600),  # one answer: the middle of 5 to 15 minutes
        ({"answer_1m": 2, "answer_4h": 1}, 45),  # true median under a minute
        ({"answer_1m": 1, "answer_1h": 1, "answer_1d": 2}, 3600),  # half reached exactly at the end of the 15m to 1h bucket
        ({"answer_1m": 1, "answer_more": 3}, 259200),  # the open bucket answers its lower bound
    ],
)
def test_median_answer_time_is_read_from_the_histogram(admin_api, action, volunteer, histogram, median):
    """The histogram itself is kept by the senders (reporting); here only how it is read."""
    from reporting.models import ActionUserStats

    action_send(action=action, user_ids=[volunteer.id])
    ActionUserStats.objects.create(action=action, user=volunteer, **histogram)
    row = admin_api.get(URL.format(action.id)).json()["results"][0]
    assert row["median_answer_seconds"] == median and row["answered"] == sum(histogram.values())
