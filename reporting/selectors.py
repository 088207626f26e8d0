"""Reads behind the results page, the results API and the actions list. Aggregates only:
the number of queries does not depend on how many messages an action has."""

import functools
from collections.abc import Sequence

from django.db import connection

from actions.models import Action
from datasync.selectors import datasync_block

from .errors import error_class, error_name
from .metrics import MESSAGE_PERFORMANCE, OVERVIEW, rates_of
from .models import ActionErrorStats, ActionHourStats, ActionStats
from .stats import counter_names

COUNTERS = counter_names(ActionStats)


@functools.cache
def _totals_sql(actions: int) -> str:
    """Shard rows summed per action. Plain SQL built once: the ORM takes ~10x longer to
    compile these 21 aggregates than the database takes to answer them."""
    qn = connection.ops.quote_name
    sums = ", ".join(f"COALESCE(SUM({qn(name)}), 0)" for name in COUNTERS)
    return (
        f"SELECT action_id, {sums} FROM {qn(ActionStats._meta.db_table)} "
        f"WHERE action_id IN ({', '.join(['%s'] * actions)}) GROUP BY action_id"
    )


def actions_totals(*, actions: Sequence[Action]) -> dict[int, dict[str, int]]:
    """Every per-action counter of each action, in one query; zeros for an action without stats rows."""
    found = {}
    if actions:
        with connection.cursor() as cursor:
            cursor.execute(_totals_sql(len(actions)), [a.id for a in actions])
            found = {row[0]: dict(zip(COUNTERS, map(int, row[1:]), strict=True)) for row in cursor.fetchall()}
    return {a.id: found.get(a.id, dict.fromkeys(COUNTERS, 0)) for a in actions}


def action_totals(*, action: Action) -> dict[str, int]:
    return actions_totals(actions=[action])[action.id]


def action_errors(*, action: Action) -> list[dict]:
    rows = ActionErrorStats.objects.filter(action=action, count__gt=0).order_by("-count", "error_code")
    return [
        {"code": code, "name": error_name(code), "class": error_class(code), "count": count}
        for code, count in rows.values_list("error_code", "count")
    ]


def results_of(*, action: Action, totals: dict[str, int]) -> dict:
    """CONTRACT §3 results shape from already-read totals."""
    return {
        "overview": {m.key: totals[m.key] for m in OVERVIEW},
        "message_performance": {m.key: totals[m.key] for m in MESSAGE_PERFORMANCE},
        "rates": rates_of(totals),
        "errors": action_errors(action=action),
        "datasync": datasync_block(action),
    }


def action_results(*, action: Action) -> dict:
    return results_of(action=action, totals=action_totals(action=action))


def action_hours(*, action: Action) -> list[ActionHourStats]:
    return list(ActionHourStats.objects.filter(action=action).order_by("hour"))
