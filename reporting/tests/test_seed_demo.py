"""seed_demo: a demo organization whose history has the issue's distributions, aggregates
that equal a full recount, idempotent re-runs, and the admin the command prints."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from actions.models import Action, Contact, Message
from orgs.models import Organization
from reporting.recompute import recompute_stats
from reporting.selectors import action_results
from reporting.tests.recount import recount

# The seed writes through a second connection (COPY), so the test database must really commit.
pytestmark = pytest.mark.django_db(transaction=True)


def seed(contacts: int) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--scale", "S", "--contacts", str(contacts), stdout=out)
    return out.getvalue()


def test_seed_demo_history_is_realistic_and_counted_exactly(other_org):
    out = seed(3000)
    org = Organization.objects.get(name="Demo Organization")
    assert out.strip().splitlines()[-1] == str(org.id)
    assert "admin@demo.p2p.example / password demo-admin-pass" in out
    assert authenticate(username="admin@demo.p2p.example", password="demo-admin-pass") is not None
    actions = {a.status: a for a in Action.objects.filter(organization=org)}
    assert set(actions) == {"live", "closed", "draft"} and Action.objects.filter(organization=org).count() == 4
    for action in Action.objects.filter(organization=org):
        # A full rebuild (derived conversation columns included) finds nothing to repair.
        assert recompute_stats(action) == [], action.name
    live = actions["live"]
    figures = action_results(action=live)
    mp, rates = figures["message_performance"], figures["rates"]
    assert mp == {k: v for k, v in recount(live).items() if k in mp}
    assert 0.88 < rates["delivery_rate"] < 0.96
    assert 0.005 < rates["filtering_rate"] < 0.04
    assert 0.11 < rates["response_rate"] < 0.20
    assert 0.015 < rates["opt_out_rate"] < 0.05
    assert 0.45 < mp["reports_filled"] / mp["reports_available"] < 0.75
    assert mp["messages_remaining"] > 0 and mp["needs_attention"] > 0
    assert {e["code"] for e in figures["errors"]} >= {21211, 21610, 30007, 30003}
    clicks = sum(action_results(action=a)["message_performance"]["link_clicks"] for a in actions.values())
    assert clicks > 0
    draft = action_results(action=actions["draft"])
    assert draft["overview"]["sent_to"] == 0 and draft["message_performance"]["initial_messages"] == 0


def test_seed_demo_twice_replaces_the_demo_data(other_org):
    seed(400)
    first = Organization.objects.get(name="Demo Organization")
    seed(300)
    assert not Organization.objects.filter(pk=first.pk).exists()
    org = Organization.objects.get(name="Demo Organization")
    assert Contact.objects.filter(organization=org).count() == 300
    assert Contact.objects.filter(organization_id=first.pk).count() == 0
    assert Message.objects.filter(organization_id=first.pk).count() == 0
    assert Organization.objects.filter(pk=other_org.pk).exists()
    for action in Action.objects.filter(organization=org):
        assert recompute_stats(action) == []
