"""Export pages: the export list with its history (a page of its own, and the panel the
results page loads into its Exports section), and one-click downloads. Thin adapters over
the same services as the API; admins only, another organization's action is a 404."""

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from reporting.views import AdminPage

from .conf import download_ttl
from .registry import exporters
from .render import UnknownExport, bom_requested, export_spec
from .responses import export_file_response
from .selectors import export_jobs_for_action
from .services import export_job_start_if_big

HISTORY_ROWS = 20


class ExportsPanel(AdminPage):
    template_name = "reporting/exports/_panel.html"

    def get_context_data(self, **kwargs) -> dict:
        action = self.scoped_action()
        kinds = [{"kind": kind, "title": cls.title, "description": cls.description} for kind, cls in exporters().items()]
        return {
            **super().get_context_data(**kwargs),
            "action": action,
            "kinds": kinds,
            "jobs": export_jobs_for_action(action=action)[:HISTORY_ROWS],
            "now": timezone.now(),
            "ttl_hours": int(download_ttl().total_seconds() // 3600),
        }


class ExportsPage(ExportsPanel):
    template_name = "reporting/exports/page.html"


class ExportFile(AdminPage):
    """The file now, or (when it is big) a background job and back to the export list."""

    def get(self, request, *args, **kwargs):
        action = self.scoped_action()
        try:
            spec = export_spec(action=action, kind=kwargs["kind"], fmt=kwargs["fmt"], bom=bom_requested(request.GET.get("bom")))
        except UnknownExport as exc:
            raise Http404(str(exc)) from None
        job = export_job_start_if_big(spec=spec, requested_by=request.user)
        if job is None:
            return export_file_response(spec)
        return redirect(f"{reverse('action-exports', args=[action.id])}#job-{job.id}")
