from celery import shared_task


@shared_task(acks_late=True)
def bulk_job_run_task(job_id: int) -> None:
    from engagement.services.bulk import bulk_job_run

    bulk_job_run(job_id=job_id)
