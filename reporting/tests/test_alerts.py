"""Alerts: one email per admin, action and threshold; a banner; configurable thresholds."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from actions.models import Action
from orgs.models import Membership
from reporting.alerts import alerts_check, alerts_check_live
from reporting.models import ActionAlert, ActionStats
from tests.factories import ActionFactory, make_member

pytestmark = pytest.mark.django_db


def figures(action, **counts) -> None:
    ActionStats.objects.update_or_create(action=action, shard=3, defaults=counts)


def test_each_admin_is_emailed_once_per_action_and_threshold(
    org, admin_user, volunteer, action, django_capture_on_commit_callbacks
):
    second_admin = make_member(org, Membership.Role.ADMIN)
    figures(action, initial_messages=1000, opt_outs=31, carrier_filtering=10)
    with django_capture_on_commit_callbacks(execute=True):
        created = alerts_check(action=action)
    assert [a.metric for a in created] == ["opt_out_rate"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([admin_user.email, second_admin.email])
    assert "Opt-out rate reached 3.1%" in mail.outbox[0].subject and f"/actions/{action.id}/results/" in mail.outbox[0].body
    figures(action, initial_messages=1000, opt_outs=40, carrier_filtering=60)
    with django_capture_on_commit_callbacks(execute=True):
        assert [a.metric for a in alerts_check(action=action)] == ["filtering_rate"]
        assert alerts_check(action=action) == []
    assert len(mail.outbox) == 4 and volunteer.email not in {m.to[0] for m in mail.outbox}
    assert ActionAlert.objects.filter(action=action).count() == 2


def test_no_alert_before_200_initials_or_for_an_action_that_is_not_live(
    org, admin_user, action, django_capture_on_commit_callbacks
):
    figures(action, initial_messages=199, opt_outs=100)
    closed = ActionFactory(organization=org, status=Action.Status.CLOSED)
    figures(closed, initial_messages=5000, opt_outs=500)
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_check_live() == 0
    assert mail.outbox == []
    figures(action, initial_messages=200, opt_outs=6)  # exactly 3%: reached
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_check_live() == 1
    assert len(mail.outbox) == 1


def test_thresholds_come_from_settings(settings, admin_user, action, django_capture_on_commit_callbacks):
    settings.RESULTS_ALERT_OPT_OUT_RATE = "0.10"
    figures(action, initial_messages=1000, opt_outs=99)
    assert alerts_check(action=action) == []
    settings.RESULTS_ALERT_OPT_OUT_RATE = "0.05"
    assert [a.metric for a in alerts_check(action=action)] == ["opt_out_rate"]


@pytest.mark.parametrize("bad", ["lots", "0", "1.5"])
def test_a_bad_threshold_fails_the_system_check(settings, bad):
    settings.RESULTS_ALERT_FILTERING_RATE = bad
    with pytest.raises(SystemCheckError, match="RESULTS_ALERT_FILTERING_RATE"):
        call_command("check")
