"""The actions list, results and View Reports pages: figures from the aggregates, the
contract's data-metric elements, tenancy, and a query count that does not grow."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action
from reporting.metrics import MESSAGE_PERFORMANCE, OVERVIEW
from reporting.models import ActionAlert
from reporting.tests.drive import busy_action, upload
from reporting.tests.recount import recount
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db
METRIC_RE = re.compile(r'data-metric="([a-z_]+)">([\d,]+)<')


def session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def metrics_on(html: str) -> dict[str, int]:
    return {key: int(value.replace(",", "")) for key, value in METRIC_RE.findall(html)}


def test_results_page_shows_every_figure_as_counted(admin_user, volunteer, action):
    busy_action(action, volunteer)
    html = session(admin_user).get(f"/actions/{action.id}/results/").content.decode()
    expected = recount(action)
    assert metrics_on(html) == {m.key: expected[m.key] for m in (*OVERVIEW, *MESSAGE_PERFORMANCE)}
    assert 'title="Conversations with at least one inbound message."' in html
    assert f'href="/actions/{action.id}/reports/"' in html
    for partial in ('id="datasync-summary"', 'id="user-engagement"', 'id="exports"'):
        assert partial in html
    assert html.count("<svg") == 2
    assert 'data-live="true"' in html and "js/results.js" in html and "css/reporting.css" in html
    assert 'data-error="30007"' in html and "Carrier filtering" in html


def test_closed_action_does_not_refresh(admin_user, org):
    closed = ActionFactory(organization=org, status=Action.Status.CLOSED)
    html = session(admin_user).get(f"/actions/{closed.id}/results/").content.decode()
    assert 'data-live="false"' in html and "live-indicator" not in html


def test_results_page_query_count_does_not_grow(admin_user, volunteer, org):
    small, large = ActionFactory(organization=org), ActionFactory(organization=org)
    upload(small, 1)
    busy_action(large, volunteer, contacts=40)
    client = session(admin_user)
    counts = []
    for action in (small, large, small):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/actions/{action.id}/results/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[1] == counts[2]


@pytest.mark.parametrize("path", ["/actions/{id}/results/", "/actions/{id}/reports/"])
def test_outsider_404_volunteer_403_anonymous_to_login(path, outsider, volunteer, action):
    target = path.format(id=action.id)
    assert session(outsider).get(target).status_code == 404
    assert session(volunteer).get(target).status_code == 403
    response = Client().get(target)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_actions_list_is_the_organizations_own(admin_user, volunteer, outsider, action, other_org):
    busy_action(action, volunteer)
    foreign = ActionFactory(organization=other_org, name="Foreign action")
    html = session(admin_user).get("/actions/").content.decode()
    assert action.name in html and foreign.name not in html
    expected = recount(action)
    row = html.split(f'data-action="{action.id}"')[1].split("</tr>")[0]
    figures = {k: int(v.replace(",", "")) for k, v in re.findall(r'data-figure="([a-z_]+)">([\d,]+)<', row)}
    assert figures == {k: expected[k] for k in figures} and len(figures) == 6
    assert session(volunteer).get("/actions/").status_code == 403
    assert f"/actions/{action.id}/results/" not in session(outsider).get("/actions/").content.decode()


def test_actions_list_paginates_with_constant_queries(admin_user, org):
    client = session(admin_user)
    ActionFactory.create_batch(3, organization=org)
    with CaptureQueriesContext(connection) as few:
        client.get("/actions/")
    ActionFactory.create_batch(30, organization=org)
    with CaptureQueriesContext(connection) as many:
        html = client.get("/actions/").content.decode()
    assert len(few.captured_queries) == len(many.captured_queries)
    assert "Page 1 of 2" in html and html.count("data-action=") == 25
    assert client.get("/actions/?page=2").content.decode().count("data-action=") == 8


def test_banner_when_a_live_action_crosses_a_threshold(admin_user, action, settings):
    from reporting.models import ActionStats

    settings.RESULTS_ALERT_MIN_INITIALS = 10
    ActionStats.objects.create(action=action, shard=0, initial_messages=100, opt_outs=4, carrier_filtering=1)
    ActionAlert.objects.create(
        action=action, metric="opt_out_rate", rate=0.04, threshold=0.03, initial_messages=100, sent_at=timezone.now()
    )
    html = session(admin_user).get(f"/actions/{action.id}/results/").content.decode()
    assert 'data-alert="opt_out_rate"' in html and "4.0%" in html and "Admins were emailed" in html
    assert 'data-alert="filtering_rate"' not in html


def test_reports_page_shows_the_breakdown(admin_user, volunteer, action):
    busy_action(action, volunteer)
    html = session(admin_user).get(f"/actions/{action.id}/reports/").content.decode()
    assert 'data-report="tag:supporter">2<' in html
    assert 'data-report="field:support=5">2<' in html
    assert 'data-report="script_uses:thanks">2<' in html
    assert 'data-report="median:age">34<' in html
    assert html.count("<svg") >= 4
