"""Celery adapters: they unpack ids and call a service. Both may run twice or at once."""

from celery import shared_task

BEAT = {
    "datasync-sweep": {"task": "datasync.tasks.datasync_sweep_task", "schedule": 15.0},
}


@shared_task(acks_late=True)
def datasync_send(connection_id: int) -> dict:
    from .services.sending import connection_sync

    run = connection_sync(connection_id=connection_id)
    if run.more:
        datasync_send.delay(connection_id)
    return run.__dict__


@shared_task(acks_late=True)
def datasync_sweep_task() -> list[int]:
    from .services.sending import datasync_sweep

    due = datasync_sweep()
    for connection_id in due:
        datasync_send.delay(connection_id)
    return due
