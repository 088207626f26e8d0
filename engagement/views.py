"""The audit log page: every admin action of the organization, newest first, filtered by
kind and actor. Organization admins only (a volunteer gets 403)."""

from django.core.paginator import Paginator

from orgs.tenancy import org_of
from reporting.views import AdminPage

from .selectors import AuditFilterSet, audit_events

EVENTS_PER_PAGE = 50


class AuditPage(AdminPage):
    template_name = "engagement/audit.html"

    def get_context_data(self, **kwargs) -> dict:
        org = org_of(self.request.user)
        filters = AuditFilterSet(self.request.GET, audit_events(organization_id=org.id if org else None), request=self.request)
        page = Paginator(filters.qs, EVENTS_PER_PAGE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return {**super().get_context_data(**kwargs), "filters": filters, "page": page, "query": query.urlencode()}
