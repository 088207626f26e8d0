"""Public, unauthenticated pages of the actions app: the tracked-link redirect."""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from p2p_admin.ratelimit import rate_limited

from .links import link_click_record


@require_http_methods(["GET", "HEAD"])
@rate_limited("link")
def link_redirect(request: HttpRequest, code: str) -> HttpResponse:
    link = link_click_record(code=code, user_agent=request.headers.get("User-Agent", ""), method=request.method)
    if link is None:
        raise Http404("No link matches the given code.")
    response = HttpResponseRedirect(link.url)
    # Every request must reach us to be counted: no browser or proxy may answer from a cache.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
