"""Celery tasks of the exports: thin, they unpack ids and call a service."""

from celery import shared_task

BEAT = {
    "exports-tidy": {"task": "reporting.exports.tasks.exports_tidy", "schedule": 15 * 60.0},
}


# Longer than the default limits: a million-row workbook takes minutes. Below the broker's
# visibility timeout (an hour), so a slow export is not handed to a second worker.
@shared_task(acks_late=True, soft_time_limit=50 * 60, time_limit=55 * 60)
def export_run(job_id: int) -> None:
    from .services import export_job_run

    export_job_run(job_id=job_id)


@shared_task(acks_late=True)
def exports_tidy() -> int:
    from .services import export_jobs_tidy

    return export_jobs_tidy()
