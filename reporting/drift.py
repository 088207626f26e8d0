"""Drift: compare every aggregate with a recount and repair it (reporting.recompute). The
periodic task runs this over live actions; `manage.py recompute_stats` over any."""

import logging
from collections.abc import Iterable

from actions.models import Action

from .recompute import recompute_stats

log = logging.getLogger(__name__)


def stats_repair(*, actions: Iterable[Action]) -> dict[int, list[str]]:
    """Recompute each action; returns the drift repaired, by action id (empty lists kept)."""
    found = {}
    for action in actions:
        drift = recompute_stats(action)
        found[action.id] = drift
        if drift:
            log.warning("stats drift repaired in action %s: %d rows; first: %s", action.id, len(drift), drift[0])
    return found


def stats_repair_live() -> dict[int, list[str]]:
    return stats_repair(actions=Action.objects.filter(status=Action.Status.LIVE).order_by("id").iterator())
