"""Admin pages: actions list, results, View Reports. Session login; organization admins
only (a volunteer gets 403); another organization's action answers 404. Thin: every
figure comes from reporting.selectors / reporting.breakdowns (aggregates only)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.views.generic import TemplateView

from actions.models import Action
from orgs.tenancy import is_org_admin, org_of

from . import charts
from .alerts import WATCHED, alerts_tripped
from .breakdowns import action_reports
from .errors import CLASS_LABELS
from .metrics import MESSAGE_PERFORMANCE, OVERVIEW, RATES, Metric, rates_of
from .models import ActionAlert
from .selectors import action_hours, action_totals, actions_totals, results_of

ACTIONS_PER_PAGE = 25


class AdminPage(LoginRequiredMixin, TemplateView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_org_admin(request.user):
            raise PermissionDenied("Only an organization admin can see this page.")
        return super().dispatch(request, *args, **kwargs)

    def scoped_action(self) -> Action:
        return Action.objects.get_for_org(org_of(self.request.user), self.kwargs["pk"])


def boxes(metrics: tuple[Metric, ...], values: dict) -> list[dict]:
    return [{"key": m.key, "label": m.label, "definition": m.definition, "value": values[m.key]} for m in metrics]


class ActionsListPage(AdminPage):
    template_name = "reporting/actions_list.html"

    def get_context_data(self, **kwargs) -> dict:
        actions = Action.objects.for_org(org_of(self.request.user)).order_by("-created_at", "-id")
        page = Paginator(actions, ACTIONS_PER_PAGE).get_page(self.request.GET.get("page"))
        totals = actions_totals(actions=list(page.object_list))
        rows = [{"action": a, "totals": totals[a.id], "rates": rates_of(totals[a.id])} for a in page.object_list]
        return {**super().get_context_data(**kwargs), "page": page, "rows": rows}


class ResultsPage(AdminPage):
    template_name = "reporting/results.html"

    def get_context_data(self, **kwargs) -> dict:
        action = self.scoped_action()
        totals = action_totals(action=action)
        results = results_of(action=action, totals=totals)
        return {
            **super().get_context_data(**kwargs),
            "action": action,
            "overview": boxes(OVERVIEW, results["overview"]),
            "performance": boxes(MESSAGE_PERFORMANCE, results["message_performance"]),
            "rates": boxes(RATES, results["rates"]),
            "errors": results["errors"],
            "tripped": alerts_tripped(action=action, totals=totals),
            "emailed": [
                {"label": WATCHED[a.metric][1], "sent_at": a.sent_at}
                for a in ActionAlert.objects.filter(action=action, metric__in=WATCHED).order_by("sent_at")
            ],
            "error_class_labels": CLASS_LABELS,
            "activity_chart": charts.activity_chart(action_hours(action=action)),
            "funnel_chart": charts.funnel_chart(totals),
            "live": action.status == Action.Status.LIVE,
        }


def report_charts(reports: dict) -> list:
    out = [charts.bar_chart(title="Tags: contacts tagged", bars=[(t["tag"], t["count"]) for t in reports["tags"]])]
    for field in reports["custom_fields"]:
        if field["values"]:
            title = f"{field['label']}: " + ("values" if field["type"] == "choice" else "top values")
            out.append(charts.bar_chart(title=title, bars=[(v["value"], v["count"]) for v in field["values"]]))
    scripts = reports["response_scripts"]
    out.append(charts.bar_chart(title="Response scripts: times used", bars=[(s["label"], s["uses"]) for s in scripts]))
    out.append(
        charts.bar_chart(title="Response scripts: replies that followed", bars=[(s["label"], s["replies"]) for s in scripts])
    )
    return out


class ReportsPage(AdminPage):
    template_name = "reporting/reports.html"

    def get_context_data(self, **kwargs) -> dict:
        action = self.scoped_action()
        reports = action_reports(action=action)
        return {**super().get_context_data(**kwargs), "action": action, "reports": reports, "charts": report_charts(reports)}
