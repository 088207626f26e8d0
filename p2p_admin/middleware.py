"""Request-level protections: the content security policy, a body size limit checked before
anything reads the body, and informative bodies for errors that come back empty."""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .errors import TITLES, body_too_large_detail, error_response

# Headers an empty error carries that the informative one must keep.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Location", "X-Request-ID")


# What the vendored pages under CSP_RELAXED_STYLE_PREFIXES need on top of the policy: the
# Django admin's and Swagger UI's markup sets style attributes and data: icons, and Redoc runs
# a worker from a blob. Scripts stay 'self' everywhere.
VENDORED_PAGES_POLICY = {"style-src": ["'unsafe-inline'"], "img-src": ["data:"], "worker-src": ["'self'", "blob:"]}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """settings.CONTENT_SECURITY_POLICY, relaxed for the vendored pages (VENDORED_PAGES_POLICY)."""

    def get_policy_parts(self, request: HttpRequest, response: HttpResponse, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.update is None and request.path_info.startswith(settings.CSP_RELAXED_STYLE_PREFIXES):
            parts.update = VENDORED_PAGES_POLICY
        return parts


class BodySizeLimitMiddleware:
    """413 before the body is read. Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when a view
    reads request.body or a form, but DRF's JSON parser reads the stream itself, so without
    this a JSON body of any size would be read into memory."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        if multipart and limit is not None:
            limit += settings.MAX_UPLOAD_BYTES
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0  # Django refuses a malformed length itself, as a 400
        if limit is not None and size > limit:
            return error_response(request, 413, body_too_large_detail(size, limit, multipart=multipart))
        return self.get_response(request)


def empty_error_detail(request: HttpRequest, response: HttpResponse) -> str:
    status = response.status_code
    if status == 405:
        allowed = response.get("Allow", "")
        return f"{request.method} is not allowed at {request.path}" + (f"; use {allowed}." if allowed else ".")
    if status == 404:
        return f"Nothing at {request.path}."
    if status == 403:
        return "You are not allowed to do this."
    return f"{TITLES.get(status, 'The request failed')} ({status})."


class ErrorBodyMiddleware:
    """An error answered with an empty body (Django's 405 for a wrong method, a bare
    HttpResponseForbidden) gets the same informative body as every other error."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming or response.content or request.method == "HEAD":
            return response
        filled = error_response(request, response.status_code, empty_error_detail(request, response))
        for name in KEPT_HEADERS:
            if name in response:
                filled[name] = response[name]
        filled.cookies = response.cookies
        return filled
