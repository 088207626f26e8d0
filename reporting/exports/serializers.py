from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import ExportJob


class ExportJobSerializer(serializers.ModelSerializer):
    """CONTRACT §3: `status`, `progress` (0 to 100) and `download` (a URL once the file is
    ready, null before and after its link expired)."""

    download = serializers.SerializerMethodField()
    expired = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "url",
            "action",
            "kind",
            "format",
            "bom",
            "status",
            "progress",
            "rows_total",
            "rows_done",
            "download",
            "expired",
            "size",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
        ]

    def _absolute(self, name: str, job: ExportJob) -> str:
        path = reverse(name, args=[job.id])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, job: ExportJob) -> str:
        return self._absolute("api-export-job", job)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download(self, job: ExportJob) -> str | None:
        return self._absolute("api-export-job-download", job) if job.downloadable(timezone.now()) else None

    def get_expired(self, job: ExportJob) -> bool:
        return job.status == ExportJob.Status.DONE and not job.downloadable(timezone.now())


class ExportJobLinkSerializer(serializers.Serializer):
    job = serializers.URLField()
