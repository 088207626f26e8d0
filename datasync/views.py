"""Admin pages: the mapping screen per action, and retrying failed items from the summary.
Session login; admins only (a volunteer gets 403); another organization's action 404."""

import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from actions.errors import Invalid
from orgs.tenancy import org_of
from reporting.views import AdminPage

from .http import CrmError
from .models import CrmConnection, SyncMapping
from .selectors import mapping_rows
from .services.connections import connection_refresh_catalog
from .services.items import items_retry
from .services.mappings import mapping_delete, mapping_set


def _errors(exc: Invalid) -> str:
    detail = exc.detail if isinstance(exc.detail, dict) else {"": exc.detail}
    return "; ".join(f"{k}: {v}" if k else str(v) for k, v in detail.items())


class MappingPage(AdminPage):
    template_name = "datasync/mappings.html"

    def _connection(self, raw) -> CrmConnection | None:
        """The connection picked (404 if not the organization's), else the first one."""
        org = org_of(self.request.user)
        if raw:
            return CrmConnection.objects.get_for_org(org, raw)
        return CrmConnection.objects.for_org(org).order_by("id").first()

    def get_context_data(self, **kwargs) -> dict:
        action = self.scoped_action()
        connection = self._connection(self.request.GET.get("connection"))
        rows = mapping_rows(action=action, connection=connection)
        for choice in rows["choices"]:
            choice["value"] = json.dumps(choice["target"], sort_keys=True)
        for row in rows["rows"]:
            row["value"] = json.dumps(row["mapping"].target, sort_keys=True) if row["mapping"] else ""
        return {
            **super().get_context_data(**kwargs),
            "action": action,
            "connection": connection,
            "connections": CrmConnection.objects.for_org(org_of(self.request.user)).order_by("id"),
            **rows,
        }

    def post(self, request, pk):
        action = self.scoped_action()
        connection = self._connection(request.POST.get("connection"))
        op = request.POST.get("op")
        try:
            if op == "refresh" and connection is not None:
                connection_refresh_catalog(connection=connection)
                messages.success(request, "The catalogue was fetched again.")
            elif op == "unmap":
                mapping = SyncMapping.objects.get_for_org(org_of(request.user), request.POST.get("mapping"))
                if mapping.action_id != action.id:
                    raise Http404("No mapping matches the given query.")
                mapping_delete(mapping=mapping, actor=request.user)
                messages.success(request, f"{mapping.source} is no longer mapped.")
            elif op == "map" and connection is not None:
                self._map(action, connection, request.POST.get("source"), request.POST.get("target"))
        except Invalid as exc:
            messages.error(request, _errors(exc))
        except CrmError as exc:
            messages.error(request, exc.text)
        url = reverse("action-datasync", args=[action.id])
        return redirect(f"{url}?connection={connection.id}" if connection else url)

    def _map(self, action, connection: CrmConnection, source: str | None, raw_target: str | None) -> None:
        """A target picked maps the source; "not mapped" removes its mapping."""
        if not raw_target:
            mapping = SyncMapping.objects.filter(action=action, connection=connection, source=source).first()
            if mapping is not None:
                mapping_delete(mapping=mapping, actor=self.request.user)
                messages.success(self.request, f"{source} is no longer mapped.")
            return
        try:
            target = json.loads(raw_target)
        except ValueError:
            target = None
        mapping, _ = mapping_set(action=action, connection=connection, source=source, target=target, actor=self.request.user)
        messages.success(self.request, f"{mapping.source} → {mapping.label}")


class RetryFailed(AdminPage):
    """POST: retry one failed item (`item`) or all of the action's; back to `next`."""

    http_method_names = ["post"]

    def post(self, request, pk):
        action = self.scoped_action()
        item = request.POST.get("item")
        try:
            retried = items_retry(action=action, item_ids=[int(item)] if item else None, actor=request.user)
            messages.success(request, f"{retried} failed item{'s' if retried != 1 else ''} queued again.")
        except (Invalid, ValueError):
            messages.error(request, "That item is not a failed item of this action.")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            target = reverse("action-results", args=[action.id])
        return redirect(target)
