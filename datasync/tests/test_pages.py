"""The DataSync Summary on the results page and the mapping screen, as an admin sees them."""

import json

import pytest
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext

from datasync.models import SyncItem, SyncMapping
from datasync.services.sending import connection_sync
from tests.factories import PASSWORD

from .helpers import VAN_SUPPORTER_CODE, assert_consistent, file_report, map_source

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def results_queries(client, action) -> int:
    with CaptureQueriesContext(db) as queries:
        assert client.get(f"/actions/{action.id}/results/").status_code == 200
    return len(queries)


def test_summary_shows_figures_errors_and_failures_in_constant_queries(
    admin_user, action, volunteer, make_conversation, van_connection, fake_van
):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    client = logged_in(admin_user)
    file_report(make_conversation(van_id="6000"), volunteer, ["supporter"])
    small = results_queries(client, action)
    for i in range(30):
        file_report(make_conversation(van_id=f"6{i + 1:03d}"), volunteer, ["supporter"], support="2")
    fake_van.fail_next("6001", (400, {}))
    connection_sync(connection_id=van_connection.id)
    assert results_queries(client, action) == small

    page = client.get(f"/actions/{action.id}/results/").content.decode()
    assert 'data-datasync="synced">30<' in page
    assert 'data-datasync="failed">1<' in page
    assert 'data-datasync="skipped">30<' in page  # support=2 is not mapped
    assert "VAN 400: INVALID_PARAMETER: HTTP 400." in page
    failed = SyncItem.objects.get(action=action, status="failed")
    assert f'data-retry-item="{failed.id}"' in page
    assert f"/actions/{action.id}/exports/datasync.csv" in page
    assert_consistent(action)


def test_retry_from_the_page(admin_user, volunteer, outsider, action, make_conversation, van_connection, fake_van):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    file_report(make_conversation(van_id="6001"), volunteer, ["supporter"])
    fake_van.fail_next("6001", (400, {}))
    connection_sync(connection_id=van_connection.id)
    item = SyncItem.objects.get(action=action)
    url = f"/actions/{action.id}/datasync/retry/"
    assert logged_in(outsider).post(url, {"item": item.id}).status_code == 404
    assert logged_in(volunteer).post(url, {"item": item.id}).status_code == 403
    item.refresh_from_db()
    assert item.status == "failed"
    r = logged_in(admin_user).post(url, {"item": item.id, "next": f"/actions/{action.id}/results/"})
    assert r.status_code == 302 and r.url == f"/actions/{action.id}/results/"
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("pending", 0)
    # An outside address in `next` is not followed.
    assert logged_in(admin_user).post(url, {"next": "https://evil.example/"}).url == f"/actions/{action.id}/results/"
    assert_consistent(action)


def test_mapping_screen_lists_sources_maps_and_unmaps(admin_user, volunteer, outsider, action, make_conversation, van_connection):
    client = logged_in(admin_user)
    url = f"/actions/{action.id}/datasync/"
    page = client.get(url).content.decode()
    for source in ("tag:supporter", "tag:wrong number", "field:support=1", "field:support=5", "opt_out"):
        assert f'data-unmapped="{source}"' in page
    assert "Activist code: Supporter" in page and "Support: Strong support" in page and "Result code: Do Not Text" in page

    file_report(make_conversation(van_id="6001"), volunteer, ["supporter"])
    target = json.dumps(VAN_SUPPORTER_CODE)
    r = client.post(url, {"op": "map", "connection": van_connection.id, "source": "tag:supporter", "target": target})
    assert r.status_code == 302
    mapping = SyncMapping.objects.get(action=action)
    assert (mapping.source, mapping.target) == ("tag:supporter", VAN_SUPPORTER_CODE)
    assert SyncItem.objects.get(action=action).status == "pending"
    page = client.get(r.url).content.decode()
    assert 'data-unmapped="tag:supporter"' not in page and "selected>Activist code: Supporter" in page

    r = client.post(url, {"op": "map", "connection": van_connection.id, "source": "tag:nope", "target": target}, follow=True)
    assert "source: &#x27;nope&#x27; is not a tag of this action" in r.content.decode()
    client.post(url, {"op": "map", "connection": van_connection.id, "source": "tag:supporter", "target": ""})
    assert not SyncMapping.objects.filter(action=action).exists()
    assert SyncItem.objects.get(action=action).skip_reason == "no mapping"

    assert logged_in(outsider).get(url).status_code == 404
    assert logged_in(volunteer).get(url).status_code == 403
    assert client.get(f"{url}?connection=999999").status_code == 404
    assert_consistent(action)
