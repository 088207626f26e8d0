"""Writes: start a background export, run it (the Celery task's body), purge expired files."""

import logging
import secrets
import tempfile
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from actions.models import Action
from engagement.models import AuditEvent
from engagement.services.audit import audit_record_by
from p2p_admin.queueing import enqueue_on_commit, job_lost

from .conf import STALE_AFTER, download_ttl
from .models import ExportJob
from .progress import Progress
from .render import ExportSpec, export_count, export_spec, export_write
from .selectors import FILE, export_plan

logger = logging.getLogger(__name__)


def export_job_start_if_big(*, spec: ExportSpec, requested_by: AbstractUser | None) -> ExportJob | None:
    """The job building this export when it is too big to answer now (selectors.export_plan);
    None when the caller should answer the file itself. Either is audited as the requester's."""
    if export_plan(spec=spec) == FILE:
        export_audit(action=spec.action, kind=spec.kind, fmt=spec.fmt, actor=requested_by, verb=AuditEvent.Verb.EXPORT_DOWNLOAD)
        return None
    job = export_job_start(spec=spec, requested_by=requested_by)
    export_audit(action=spec.action, kind=spec.kind, fmt=spec.fmt, actor=requested_by, verb=AuditEvent.Verb.EXPORT_START, job=job)
    return job


def export_audit(
    *, action: Action, kind: str, fmt: str, actor: AbstractUser | None, verb: str, job: ExportJob | None = None
) -> None:
    """Who took (or started building) which export: the audit log's record of data leaving."""
    summary = {"kind": kind, "format": fmt}
    audit_record_by(actor, organization_id=action.organization_id, verb=verb, action=action, subject=job, summary=summary)


def export_job_start(*, spec: ExportSpec, requested_by: AbstractUser | None) -> ExportJob:
    """Queue a background export. The same export still pending or running is reused, so
    a double click or an impatient retry does not build the file twice."""
    now = timezone.now()
    export_jobs_tidy(now=now)
    with transaction.atomic():
        return _export_job_create(spec=spec, requested_by=requested_by, now=now)


def _export_job_create(*, spec: ExportSpec, requested_by: AbstractUser | None, now: datetime) -> ExportJob:
    from .tasks import export_run

    running = (
        ExportJob.objects.for_org(spec.action.organization_id)
        .filter(action=spec.action, kind=spec.kind, format=spec.fmt, bom=spec.bom)
        .filter(status__in=ExportJob.ACTIVE, created_at__gte=now - STALE_AFTER)
        .order_by("-created_at")
        .first()
    )
    if running is not None:
        return running
    job = ExportJob.objects.create(
        organization_id=spec.action.organization_id,
        action=spec.action,
        requested_by=requested_by,
        kind=spec.kind,
        format=spec.fmt,
        bom=spec.bom,
    )
    enqueue_on_commit(export_run, (job.id,), if_lost=lambda exc: job_lost(job, exc))
    return job


def _storage_name(job: ExportJob) -> str:
    # The random part keeps file names unguessable should the storage ever be served.
    return f"exports/{job.organization_id}/{job.action_id}/{job.id}-{secrets.token_urlsafe(9)}/{job.filename}"


def export_job_run(*, job_id: int) -> None:
    """Build the file into storage with progress. A job already done or failed is left
    alone, so a redelivered task is a no-op."""
    claimed = ExportJob.objects.filter(pk=job_id, status__in=ExportJob.ACTIVE).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now(), progress=0, rows_done=0, error=""
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("action").get(pk=job_id)
    try:
        spec = export_spec(action=job.action, kind=job.kind, fmt=job.format, bom=job.bom)
        progress = Progress(job.id, export_count(spec))
        ExportJob.objects.filter(pk=job.id).update(rows_total=progress.total)
        with tempfile.TemporaryFile() as tmp:
            export_write(spec, tmp, progress)
            size = tmp.tell()
            name = default_storage.save(_storage_name(job), File(tmp, name=job.filename))
    except Exception as exc:
        logger.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job.id).update(
            status=ExportJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        return
    now = timezone.now()
    ExportJob.objects.filter(pk=job.id).update(
        status=ExportJob.Status.DONE,
        progress=100,
        rows_done=progress.done,
        file=name,
        size=size,
        finished_at=now,
        expires_at=now + download_ttl(),
    )


def export_jobs_tidy(*, now: datetime | None = None) -> int:
    """Delete the files of expired exports (their rows stay as history) and fail the jobs
    whose worker died: running for longer than a task may run, and never redelivered.
    Returns how many files were deleted."""
    now = now or timezone.now()
    ExportJob.objects.filter(status=ExportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER).update(
        status=ExportJob.Status.FAILED, error="The export stopped with its worker; start it again.", finished_at=now
    )
    expired = list(ExportJob.objects.filter(expires_at__lte=now).exclude(file="").values_list("id", "file"))
    for job_id, name in expired:
        default_storage.delete(name)
        ExportJob.objects.filter(pk=job_id).update(file="")
    return len(expired)
