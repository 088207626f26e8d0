"""Alerts (issue item 7): when a live action's opt-out rate or carrier-filtering rate reaches
its threshold after enough initial messages, every admin of the organization is emailed
once per action and metric, and the results page shows a banner.

Thresholds come from settings RESULTS_ALERT_OPT_OUT_RATE and RESULTS_ALERT_FILTERING_RATE
(environment variables of the same names; fractions such as 0.03) and
RESULTS_ALERT_MIN_INITIALS (200 unless a settings module says otherwise)."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.models import Action
from orgs.models import Membership

from .metrics import rates_of
from .models import ActionAlert
from .selectors import action_totals

log = logging.getLogger(__name__)
DEFAULT_MIN_INITIALS = 200
# metric key -> (settings name, label)
WATCHED = {
    "opt_out_rate": ("RESULTS_ALERT_OPT_OUT_RATE", "Opt-out rate"),
    "filtering_rate": ("RESULTS_ALERT_FILTERING_RATE", "Carrier filtering rate"),
}


@dataclass(frozen=True)
class Tripped:
    metric: str
    label: str
    rate: float
    threshold: float


def threshold_of(metric: str) -> float:
    """The configured fraction; a bad value raises ValueError (reporting.checks reports it at startup)."""
    raw = getattr(settings, WATCHED[metric][0])
    value = float(raw)
    if not 0 < value <= 1:
        raise ValueError(f"{WATCHED[metric][0]} must be a fraction in (0, 1], not {raw!r}")
    return value


def min_initials() -> int:
    return int(getattr(settings, "RESULTS_ALERT_MIN_INITIALS", DEFAULT_MIN_INITIALS))


def alerts_tripped(*, action: Action, totals: dict[str, int]) -> list[Tripped]:
    """The thresholds a live action has reached now (no query: reads the totals given)."""
    if action.status != Action.Status.LIVE or totals["initial_messages"] < min_initials():
        return []
    rates = rates_of(totals)
    tripped = []
    for metric, (_, label) in WATCHED.items():
        threshold = threshold_of(metric)
        if rates[metric] >= threshold:
            tripped.append(Tripped(metric, label, rates[metric], threshold))
    return tripped


def _email_admins(action: Action, alert: ActionAlert, label: str) -> None:
    admins = get_user_model().objects.filter(
        membership__organization_id=action.organization_id, membership__role=Membership.Role.ADMIN, is_active=True
    )
    subject = f"[P2P Admin] {action.name}: {label} reached {alert.rate:.1%}"
    body = (
        f"The {label.lower()} of the live action “{action.name}” is {alert.rate:.2%}, at or above the "
        f"{alert.threshold:.1%} alert threshold, after {alert.initial_messages:,} initial messages.\n\n"
        f"Results: {settings.PUBLIC_BASE_URL}/actions/{action.id}/results/\n"
    )
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [a.email]) for a in admins if a.email]
    send_mass_mail(messages, fail_silently=False)


def alerts_check(*, action: Action) -> list[ActionAlert]:
    """Record and email every threshold the action has newly reached; returns the new alerts."""
    totals = action_totals(action=action)
    created = []
    for trip in alerts_tripped(action=action, totals=totals):
        try:
            with transaction.atomic():
                alert, new = ActionAlert.objects.get_or_create(
                    action=action,
                    metric=trip.metric,
                    defaults={
                        "rate": trip.rate,
                        "threshold": trip.threshold,
                        "initial_messages": totals["initial_messages"],
                        "sent_at": timezone.now(),
                    },
                )
        except IntegrityError:  # another checker recorded it first: it sends the email
            continue
        if new:
            created.append(alert)
            transaction.on_commit(lambda a=alert, label=trip.label: _email_admins(action, a, label))
    return created


def alerts_check_live() -> int:
    """Check every live action (the periodic task); returns how many alerts were sent."""
    sent = 0
    for action in Action.objects.filter(status=Action.Status.LIVE).order_by("id").iterator():
        sent += len(alerts_check(action=action))
    if sent:
        log.info("results alerts: %d sent", sent)
    return sent
