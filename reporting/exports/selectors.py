"""Reads: whether an export streams now or runs as a job, and the export history."""

from django.db.models import QuerySet

from actions.models import Action
from reporting.selectors import action_totals

from .conf import sync_max_rows
from .models import ExportJob
from .render import ExportSpec, export_estimate

FILE, JOB = "file", "job"


def export_plan(*, spec: ExportSpec) -> str:
    """FILE (answer it now, streamed) or JOB (background), from the aggregates' row estimate."""
    rows = export_estimate(spec, action_totals(action=spec.action))
    return FILE if rows <= sync_max_rows(spec.fmt) else JOB


def export_jobs_for_action(*, action: Action) -> QuerySet[ExportJob]:
    return ExportJob.objects.for_org(action.organization_id).filter(action=action).order_by("-created_at", "-id")
