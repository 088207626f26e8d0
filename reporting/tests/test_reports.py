"""GET /api/v1/actions/<id>/reports/ and the selector behind View Reports."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.recompute import recompute_stats
from reporting.tests.drive import inbound, report, send, start_work, twilio_answer, upload
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


def surveyed(action, user, answers: list[dict]) -> list:
    upload(action, len(answers) + 1)
    convs = start_work(action, user, size=len(answers) + 1)
    for conv, answer in zip(convs, answers, strict=False):
        twilio_answer(send(conv, user))
        inbound(conv, "hello")
        report(conv, user, **answer)
    return convs


def test_latest_report_counts_and_field_distributions(admin_api, volunteer, action):
    answers = [
        {"tags": ["supporter"], "support": "5", "age": "30", "notes": "call back"},
        {"tags": ["supporter", "undecided"], "support": "4", "age": "40", "notes": "call back"},
        {"tags": ["undecided"], "support": "5", "age": "21.5", "notes": "moved"},
        {"tags": [], "age": "70"},
    ]
    convs = surveyed(action, volunteer, answers)
    # A second report replaces the first one's answers for that conversation.
    report(convs[0], volunteer, tags=["wrong number"])
    body = admin_api.get(f"/api/v1/actions/{action.id}/reports/").json()
    assert body["tags"] == [
        {"tag": "supporter", "count": 1},
        {"tag": "undecided", "count": 2},
        {"tag": "wrong number", "count": 1},
    ]
    fields = {f["key"]: f for f in body["custom_fields"]}
    assert fields["support"]["values"] == [{"value": str(n), "count": c} for n, c in [(1, 0), (2, 0), (3, 0), (4, 1), (5, 1)]]
    assert fields["support"]["filled"] == 2
    assert fields["age"]["stats"] == {"count": 3, "min": "21.5", "median": "40", "max": "70"}
    assert fields["notes"]["filled"] == 2
    assert fields["notes"]["values"] == [{"value": "call back", "count": 1}, {"value": "moved", "count": 1}]
    assert recompute_stats(action) == []


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(admin_api, volunteer, action):
    surveyed(action, volunteer, [{"age": a} for a in ("20", "30", "30", "41")] + [{"age": "9"}, {"age": "100"}])
    fields = {f["key"]: f for f in admin_api.get(f"/api/v1/actions/{action.id}/reports/").json()["custom_fields"]}
    assert fields["age"]["stats"] == {"count": 6, "min": "9", "median": "30", "max": "100"}
    assert fields["age"]["values"][0] == {"value": "30", "count": 2}


def test_response_scripts_uses_and_replies(admin_api, volunteer, action):
    upload(action, 2)
    conv, other = start_work(action, volunteer, size=2)
    twilio_answer(send(conv, volunteer))
    inbound(conv, "who is this?")
    twilio_answer(send(conv, volunteer, response_script="thanks"))
    inbound(conv, "ok, thanks")
    twilio_answer(send(other, volunteer))
    inbound(other, "hi")
    twilio_answer(send(other, volunteer, response_script="thanks"))
    body = admin_api.get(f"/api/v1/actions/{action.id}/reports/").json()
    assert body["response_scripts"] == [{"key": "thanks", "label": "Thanks", "uses": 2, "replies": 1}]
    assert recompute_stats(action) == []


def test_reports_query_count_does_not_grow(admin_api, volunteer, org):
    small, large = ActionFactory(organization=org), ActionFactory(organization=org)
    counts = []
    surveyed(small, volunteer, [{"age": "1"}])
    surveyed(large, volunteer, [{"age": str(n), "notes": f"n{n}", "tags": ["supporter"], "support": "3"} for n in range(25)])
    for action in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            admin_api.get(f"/api/v1/actions/{action.id}/reports/")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_reports_api_tenancy(admin_api, outsider_api, volunteer_api, action):
    assert admin_api.get(f"/api/v1/actions/{action.id}/reports/").status_code == 200
    assert outsider_api.get(f"/api/v1/actions/{action.id}/reports/").status_code == 404
    assert volunteer_api.get(f"/api/v1/actions/{action.id}/reports/").status_code == 403
