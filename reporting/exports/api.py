"""Export API (CONTRACT §3). Admins only (a volunteer gets 403); another organization's
action or job answers 404, like an absent one."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from actions.models import Action
from engagement.models import AuditEvent
from orgs.api import OrgGenericView

from .models import ExportJob
from .render import UnknownExport, bom_requested, export_spec
from .responses import export_file_response, job_file_response
from .selectors import export_jobs_for_action
from .serializers import ExportJobLinkSerializer, ExportJobSerializer
from .services import export_audit, export_job_start_if_big


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This export's download link has expired; start the export again."


class ActionExport(OrgGenericView):
    """The file now (200), or 202 with `{"job": url}` when it is big enough for a background job."""

    serializer_class = ExportJobLinkSerializer

    def perform_content_negotiation(self, request, force=False):
        # A client asking for text/csv must still get a JSON body on 202 and errors.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, "the file"), 202: ExportJobLinkSerializer},
        description="`?bom=1` adds a byte-order mark to a CSV so Excel reads it as UTF-8.",
    )
    def get(self, request, pk, kind, fmt):
        action = self.get_scoped(Action, pk)
        try:
            spec = export_spec(action=action, kind=kind, fmt=fmt, bom=bom_requested(request.query_params.get("bom")))
        except UnknownExport as exc:
            raise exceptions.NotFound(str(exc)) from None
        job = export_job_start_if_big(spec=spec, requested_by=request.user)
        if job is None:
            return export_file_response(spec)
        url = request.build_absolute_uri(reverse("api-export-job", args=[job.id]))
        return Response({"job": url}, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


class ActionExportHistory(OrgGenericView):
    queryset = ExportJob.objects.none()  # names the model for the schema; the action scopes the list
    serializer_class = ExportJobSerializer

    @extend_schema(responses=ExportJobSerializer(many=True))
    def get(self, request, pk):
        action = self.get_scoped(Action, pk)
        page = self.paginate_queryset(export_jobs_for_action(action=action))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ExportJobDetail(OrgGenericView):
    serializer_class = ExportJobSerializer

    def get(self, request, pk):
        return Response(self.get_serializer(self.get_scoped(ExportJob, pk)).data)


class ExportJobDownload(OrgGenericView):
    serializer_class = ExportJobSerializer

    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, "the file"),
            409: OpenApiResponse(OpenApiTypes.OBJECT, "the export is not done yet"),
            410: OpenApiResponse(OpenApiTypes.OBJECT, "the download link has expired"),
        }
    )
    def get(self, request, pk):
        job = self.get_scoped(ExportJob, pk)
        if job.status != ExportJob.Status.DONE:
            return Response({"detail": f"The export is {job.status}, not ready to download."}, status=status.HTTP_409_CONFLICT)
        if not job.downloadable(timezone.now()):
            raise Gone()
        verb = AuditEvent.Verb.EXPORT_DOWNLOAD
        export_audit(action=job.action, kind=job.kind, fmt=job.format, actor=request.user, verb=verb, job=job)
        return job_file_response(job)
