"""HTTP answers the API and the pages share: an export as a file, a stored job's file."""

import tempfile

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

from .models import ExportJob
from .render import ExportSpec, export_csv_stream, export_write

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _private(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"  # contacts' phones and names
    return response


def export_file_response(spec: ExportSpec) -> HttpResponseBase:
    """The export answered now: CSV streamed row chunk by row chunk; XLSX built in a
    temporary file first (a zip cannot be streamed before it is complete)."""
    if spec.fmt == "csv":
        return _private(StreamingHttpResponse(export_csv_stream(spec), content_type=CONTENT_TYPES["csv"]), spec.filename)
    tmp = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it, and so deletes it, once sent)
    export_write(spec, tmp, lambda rows: None)
    tmp.seek(0)
    return _private(FileResponse(tmp, content_type=CONTENT_TYPES["xlsx"]), spec.filename)


def job_file_response(job: ExportJob) -> HttpResponseBase:
    return _private(FileResponse(default_storage.open(job.file, "rb"), content_type=CONTENT_TYPES[job.format]), job.filename)
