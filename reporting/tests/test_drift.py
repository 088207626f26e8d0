"""Drift: the periodic task and `manage.py recompute_stats` find and repair aggregates that
no longer match a recount."""

import io

import pytest
from django.core.management import CommandError, call_command

from reporting.models import ActionErrorStats, ActionStats
from reporting.recompute import recompute_stats
from reporting.selectors import action_totals
from reporting.tasks import stats_drift_sweep
from reporting.tests.drive import busy_action
from reporting.tests.recount import recount

pytestmark = pytest.mark.django_db


def test_periodic_task_repairs_drift_in_live_actions(volunteer, action):
    busy_action(action, volunteer)
    truth = recount(action)
    ActionStats.objects.filter(action=action).update(responses=0)
    ActionErrorStats.objects.filter(action=action, error_code=30007).delete()
    assert stats_drift_sweep() >= 2
    totals = action_totals(action=action)
    assert totals["responses"] == truth["responses"] and totals["carrier_filtering"] == truth["carrier_filtering"]
    assert ActionErrorStats.objects.get(action=action, error_code=30007).count == 1
    assert recompute_stats(action) == []


def test_recompute_stats_command(volunteer, action):
    busy_action(action, volunteer)
    ActionStats.objects.filter(action=action).update(delivered=999)
    out = io.StringIO()
    call_command("recompute_stats", "--action", str(action.id), stdout=out)
    assert f"action {action.id}: 1 drifted rows repaired" in out.getvalue()
    assert action_totals(action=action)["delivered"] == recount(action)["delivered"]
    out = io.StringIO()
    call_command("recompute_stats", stdout=out)
    assert out.getvalue() == f"action {action.id}: 0 drifted rows repaired\n"
    with pytest.raises(CommandError):
        call_command("recompute_stats", "--action", "99999999")
