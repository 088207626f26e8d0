"""Bulk actions on every user matching the engagement filters: push, email, inbox message,
send another action. Each is a BulkJob run by a Celery task with progress, and an audit
record saying who, when, which filter, how many, and each recipient that failed."""

import logging
from collections.abc import Callable, Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from actions.errors import Invalid
from actions.models import Action
from actions.services.actions import action_send
from engagement.models import AuditEvent, BulkJob, BulkJobFailure
from engagement.push import push_backend
from engagement.selectors import engagement_user_ids
from p2p_admin.queueing import enqueue_on_commit, job_lost

from .audit import audit_record
from .inbox import inbox_send

log = logging.getLogger(__name__)
CHUNK = 100  # users per progress step
VERBS = {
    BulkJob.Kind.PUSH: AuditEvent.Verb.BULK_PUSH,
    BulkJob.Kind.EMAIL: AuditEvent.Verb.BULK_EMAIL,
    BulkJob.Kind.INBOX: AuditEvent.Verb.BULK_INBOX,
    BulkJob.Kind.SEND_ACTION: AuditEvent.Verb.BULK_SEND_ACTION,
}


@transaction.atomic
def bulk_job_create(
    *, action: Action, created_by: AbstractUser, kind: str, filters: Mapping, params: dict, target_action: Action | None = None
) -> BulkJob:
    """Record the job (the filter is checked now: a bad value is a 400) and run it after commit."""
    from engagement.tasks import bulk_job_run_task

    engagement_user_ids(action=action, filters=filters)
    if kind == BulkJob.Kind.SEND_ACTION:
        if target_action is None or target_action.organization_id != action.organization_id:
            raise Invalid({"target_action": ["Choose an action of this organization."]})
        params = {**params, "target_action": target_action.id}
    job = BulkJob.objects.create(
        organization_id=action.organization_id,
        action=action,
        kind=kind,
        created_by=created_by,
        filters=dict(filters),
        params=params,
    )
    audit_record(
        organization_id=action.organization_id,
        actor=created_by,
        verb=VERBS[kind],
        action=action,
        subject=job,
        summary={"filters": job.filters, "params": params},
    )
    enqueue_on_commit(bulk_job_run_task, (job.id,), if_lost=lambda exc: job_lost(job, exc))
    return job


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _send_push(job: BulkJob, user_ids: list[int]) -> dict[int, str]:
    return push_backend().send(job=job, user_ids=user_ids, title=job.params["title"], body=job.params["body"])


def _send_inbox(job: BulkJob, user_ids: list[int]) -> dict[int, str]:
    inbox_send(
        organization_id=job.organization_id,
        user_ids=user_ids,
        body=job.params["body"],
        subject=job.params.get("subject", ""),
        sender=job.created_by,
        action=job.action,
        job=job,
    )
    return {}


def _send_email(job: BulkJob, user_ids: list[int]) -> dict[int, str]:
    """One message per user, so a refused address fails alone. Replies go to the admin who
    sent it (not a no-reply box)."""
    reply_to = [job.created_by.email] if job.created_by and job.created_by.email else []
    failures = {}
    users = get_user_model().objects.filter(id__in=user_ids).order_by("id")
    with get_connection(fail_silently=False) as connection:
        for user in users:
            if not user.email:
                failures[user.id] = "the user has no email address"
                continue
            message = EmailMessage(
                subject=job.params["subject"],
                body=job.params["body"],
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[user.email],
                reply_to=reply_to,
                connection=connection,
            )
            try:
                message.send()
            except Exception as exc:  # whatever the server or the network refused, it is this recipient's failure
                failures[user.id] = f"{type(exc).__name__}: {exc}"
    return failures


def _send_action(job: BulkJob, user_ids: list[int]) -> dict[int, str]:
    target = Action.objects.get_for_org(job.organization_id, job.params["target_action"])
    action_send(action=target, user_ids=user_ids)
    return {}


SENDERS: dict[str, Callable[[BulkJob, list[int]], dict[int, str]]] = {
    BulkJob.Kind.PUSH: _send_push,
    BulkJob.Kind.EMAIL: _send_email,
    BulkJob.Kind.INBOX: _send_inbox,
    BulkJob.Kind.SEND_ACTION: _send_action,
}


def _progress(job: BulkJob, done: int, failures: dict[int, str]) -> None:
    BulkJobFailure.objects.bulk_create([BulkJobFailure(job=job, user_id=uid, error=err[:2000]) for uid, err in failures.items()])
    job.processed += done
    job.failed += len(failures)
    job.succeeded += done - len(failures)
    BulkJob.objects.filter(pk=job.pk).update(processed=job.processed, failed=job.failed, succeeded=job.succeeded)


def _finish(job: BulkJob, status: str, error: str = "") -> None:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    summary = {"filters": job.filters, "params": job.params, "status": status, "total": job.total}
    summary |= {"succeeded": job.succeeded, "failed": job.failed}
    AuditEvent.objects.filter(subject_type="bulkjob", subject_id=job.id).update(summary=summary)


def bulk_job_run(*, job_id: int) -> None:
    """Run a pending job once: a second delivery of the task finds it claimed and does nothing."""
    if not BulkJob.objects.filter(pk=job_id, status=BulkJob.Status.PENDING).update(
        status=BulkJob.Status.RUNNING, started_at=timezone.now()
    ):
        return
    job = BulkJob.objects.select_related("action", "created_by").get(pk=job_id)
    try:
        user_ids = engagement_user_ids(action=job.action, filters=job.filters)
        job.total = len(user_ids)
        BulkJob.objects.filter(pk=job.pk).update(total=job.total)
        # Sending an action is one set-based write; the others go in steps the bar can show.
        size = max(len(user_ids), 1) if job.kind == BulkJob.Kind.SEND_ACTION else CHUNK
        for part in _chunks(user_ids, size):
            with transaction.atomic():
                _progress(job, len(part), SENDERS[job.kind](job, part))
    except Exception as exc:
        log.exception("bulk job %s failed", job_id)
        _finish(job, BulkJob.Status.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    _finish(job, BulkJob.Status.DONE)
