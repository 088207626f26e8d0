"""The Celery app. Each app lists its periodic tasks in `BEAT` in its tasks module."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_admin.settings")

from . import kombu_patch, requestid  # noqa: F401  (requestid connects the task signals in workers too)

kombu_patch.install()  # a worker survives losing Redis (p2p_admin/kombu_patch.py)

app = Celery("p2p_admin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["p2p_admin"], related_name="health")


@app.on_after_finalize.connect
def add_periodic_tasks(sender: Celery, **kwargs) -> None:
    from importlib import import_module

    from django.conf import settings

    for label in ("actions", "reporting", "reporting.exports", "engagement", "datasync"):
        try:
            module = import_module(f"{label}.tasks")
        except ModuleNotFoundError:
            continue
        for name, entry in getattr(module, "BEAT", {}).items():
            sender.conf.beat_schedule[name] = entry
    from p2p_admin.health import HEARTBEAT_EVERY

    sender.conf.beat_schedule["worker-heartbeat"] = {
        "task": "p2p_admin.health.worker_heartbeat",
        "schedule": HEARTBEAT_EVERY,
        "options": {"expires": HEARTBEAT_EVERY},
    }
    sender.conf.beat_schedule.update(settings.CELERY_BEAT_SCHEDULE)
