"""Periodic work of the results: alert emails and the drift check (thin: they call services)."""

from celery import shared_task

from .alerts import alerts_check_live
from .drift import stats_repair_live

BEAT = {
    "reporting-alerts": {"task": "reporting.tasks.results_alerts_sweep", "schedule": 60.0},
    "reporting-drift": {"task": "reporting.tasks.stats_drift_sweep", "schedule": 30 * 60.0},
}


@shared_task(acks_late=True)
def results_alerts_sweep() -> int:
    return alerts_check_live()


@shared_task(acks_late=True, soft_time_limit=25 * 60, time_limit=26 * 60)
def stats_drift_sweep() -> int:
    return sum(len(d) for d in stats_repair_live().values())
