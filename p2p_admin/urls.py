from importlib import import_module

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from orgs import views as org_views
from p2p_admin.health import healthz
from p2p_admin.ops.views import ops_page
from p2p_admin.ratelimit import rate_limited

handler400 = "p2p_admin.errors.bad_request"
handler403 = "p2p_admin.errors.permission_denied"
handler404 = "p2p_admin.errors.page_not_found"
handler500 = "p2p_admin.errors.server_error"


def app_urls(module: str) -> list:
    """An app's url module, or nothing while that app has none yet."""
    try:
        return import_module(module).urlpatterns
    except ModuleNotFoundError as exc:
        if not module.startswith(exc.name or "-"):
            raise
        return []


api_patterns = [
    *app_urls("orgs.api_urls"),
    *app_urls("actions.api_urls"),
    *app_urls("reporting.api_urls"),
    *app_urls("reporting.exports.api_urls"),
    *app_urls("engagement.api_urls"),
    *app_urls("datasync.api_urls"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Split: the page loads its setup as a script from here, so no inline script is needed (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("ops/", ops_page, name="ops"),
    path("login/", rate_limited("login", methods=("POST",))(org_views.LoginView.as_view()), name="login"),
    path("logout/", org_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
    *app_urls("actions.urls"),
    *app_urls("reporting.urls"),
    *app_urls("reporting.exports.urls"),
    *app_urls("engagement.urls"),
    *app_urls("datasync.urls"),
    *app_urls("orgs.urls"),
]
