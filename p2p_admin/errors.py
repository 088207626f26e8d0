"""Every error says what happened and what to do next: `{"detail": ...}` JSON under /api/ and
/webhooks/ (machines read those), an HTML page elsewhere. Django's handler400/403/404/500
and the CSRF failure view are these functions (p2p_admin.urls, settings.CSRF_FAILURE_VIEW);
p2p_admin.middleware gives the same bodies to errors that come back empty (a 405, a refusal)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string, select_template
from django.urls import Resolver404

from .requestid import request_id

JSON_PREFIXES = ("/api/", "/webhooks/")
TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    429: "Too many requests",
    500: "Server error",
}


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PREFIXES)


def error_response(request: HttpRequest, status: int, detail: str, *, headers: dict | None = None) -> HttpResponse:
    """The error answer for this request: JSON for the API and webhooks, else the page for the status."""
    if wants_json(request):
        response = JsonResponse({"detail": detail}, status=status)
    else:
        template = select_template([f"{status}.html", "_error.html"])
        retry_after = (headers or {}).get("Retry-After")
        context = {"status": status, "title": TITLES.get(status, "Error"), "detail": detail, "retry_after": retry_after}
        response = HttpResponse(template.render(context, request), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def body_too_large_detail(size: int | None, limit: int, *, multipart: bool) -> str:
    got = f"The request body is {size} bytes" if size is not None else "The request body is too large"
    if multipart:
        return f"{got}; the limit for an upload is {limit} bytes (MAX_UPLOAD_BYTES plus form fields)."
    return f"{got}; the limit is {limit} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE). Send files as a multipart upload."


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Django's own refusals carry messages meant for developers (settings names, hosts): say
    # what is wrong in words for the caller instead.
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413, body_too_large_detail(None, settings.DATA_UPLOAD_MAX_MEMORY_SIZE, multipart=False))
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return error_response(request, 400, f"The request has more than {limit} form fields (DATA_UPLOAD_MAX_NUMBER_FIELDS).")
    if isinstance(exception, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return error_response(request, 400, f"The request has more than {limit} files (DATA_UPLOAD_MAX_NUMBER_FILES).")
    return error_response(request, 400, "The request could not be understood: check its address, headers and body.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception or "") or "You are not allowed to do this with your account."
    return error_response(request, 403, message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, Resolver404) or not str(exception or ""):
        # Resolver404 carries the URL patterns tried: never shown.
        where = "No API endpoint" if wants_json(request) else "No page"
        return error_response(request, 404, f"{where} at {request.path}.")
    return error_response(request, 404, str(exception))


def server_error(request: HttpRequest) -> HttpResponse:
    rid = request_id.get()
    detail = (
        f"Something went wrong on our side and it was logged (request id {rid}). Try again, or quote the id when reporting it."
    )
    if wants_json(request):
        return JsonResponse({"detail": detail, "request_id": rid}, status=500)
    # No request context: the page must render even when the database is what failed.
    return HttpResponse(render_to_string("500.html", {"detail": detail, "request_id": rid}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    detail = (
        f"The form could not be verified ({reason.rstrip('.')}). Reload the page and submit it again; "
        "the site needs cookies to check that a form was sent from its own page."
    )
    return error_response(request, 403, detail)
