"""Every URL pattern of the root urlconf as a concrete endpoint a test can call: path
parameters filled (ids with one primary key, so tests/world.py decides what they name), the
methods the view serves, and whether the view is admin-only."""

import inspect
import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern
from rest_framework.views import APIView

from orgs.api import IsOrgAdmin

METHODS = ("get", "post", "put", "patch", "delete")
# Values for string parameters, by name; ids take the world's primary key.
SAMPLES = {"kind": "contacts", "fmt": "csv", "format": "csv", "ext": "csv", "state": "all"}

# Routes the walkers do not call, each with the reason (prefixes of the full route).
NOT_WALKED = {
    "admin/": "Django admin: tests/test_admin_pages.py loads every model's pages",
    "webhooks/": "Twilio authenticates these by signature, not by user (CONTRACT §3)",
    "login/": "the public login form",
    "logout/": "ends any session; no data",
    "l/": "public tracked-link redirect: the code is the credential (CONTRACT §3)",
    "api/v1/auth/token/": "public: exchanges a username and password for a token",
    "api/v1/schema/": "the API description is the same for every caller",
    "api/v1/docs/": "the API description is the same for every caller",
    "api/v1/redoc/": "the API description is the same for every caller",
    "static/": "static files",
    "media/": "uploaded files are served by the web server, not by views",
    "healthz": "public liveness probe for load balancers",
}

# Server-rendered pages that are not admin-only, with the reason. Everything else a
# volunteer may not open (volunteers work through the JSON API, CONTRACT §3).
NOT_ADMIN_PAGES = {
    "": "the home page only redirects to the right place for the caller",
}


@dataclass(frozen=True)
class Endpoint:
    route: str
    path: str
    methods: tuple[str, ...]
    view: object
    has_ids: bool

    @property
    def is_api(self) -> bool:
        return isinstance(self.view, type) and issubclass(self.view, APIView)

    @property
    def admin_only(self) -> bool:
        if self.is_api:
            return any(p is IsOrgAdmin for p in self.view.permission_classes)
        return self.route not in NOT_ADMIN_PAGES

    def __str__(self) -> str:
        return self.route or "/"


def walked_endpoints(pk: int) -> list[Endpoint]:
    return [e for e in all_endpoints(pk) if not any(e.route.startswith(p) for p in NOT_WALKED)]


def all_endpoints(pk: int) -> list[Endpoint]:
    return [_endpoint(route, converters, pattern, pk) for route, converters, pattern in _patterns(get_resolver().url_patterns)]


def _patterns(patterns, prefix: str = "", converters: dict | None = None):
    converters = converters or {}
    for p in patterns:
        if not isinstance(p.pattern, RoutePattern):
            route = prefix + str(p.pattern)
            if any(route.startswith(s) for s in NOT_WALKED):
                continue
            raise AssertionError(f"{route!r} is a regex route; use path() or list it in NOT_WALKED with the reason")
        route = prefix + str(p.pattern)
        merged = {**converters, **p.pattern.converters}
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, route, merged)
        elif isinstance(p, URLPattern):
            yield route, merged, p


PARAM_RE = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


def _endpoint(route: str, converters: dict, pattern: URLPattern, pk: int) -> Endpoint:
    has_ids = False

    def fill(match: re.Match) -> str:
        nonlocal has_ids
        name = match.group("name")
        converter = converters[name]
        if converter.regex == "[0-9]+":
            has_ids = True
            return str(pk)
        if type(converter).__name__ == "UUIDConverter":
            has_ids = True
            return str(uuid.uuid4())
        value = SAMPLES.get(name, "x")
        if not re.fullmatch(converter.regex, value):
            raise AssertionError(f"{route!r}: add a sample value for <{name}> to tests/endpoints.py SAMPLES")
        return value

    path = "/" + PARAM_RE.sub(fill, route)
    view = getattr(pattern.callback, "view_class", pattern.callback)
    if resolve(path).func is not pattern.callback:
        raise AssertionError(f"{path} does not resolve to the view of {route!r}: fix its sample values")
    return Endpoint(route=route, path=path, methods=_served_methods(view), view=view, has_ids=has_ids)


def _served_methods(view) -> tuple[str, ...]:
    if isinstance(view, type):
        return tuple(m for m in METHODS if m in view.http_method_names and hasattr(view, m))
    # A function view: what @require_http_methods (or require_GET/POST) lets through, if any.
    func = view
    while func is not None:
        allowed = inspect.getclosurevars(func).nonlocals.get("request_method_list")
        if allowed:
            return tuple(m for m in METHODS if m.upper() in allowed)
        func = getattr(func, "__wrapped__", None)
    return ("get", "post")
