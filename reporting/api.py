"""Results and View Reports as JSON (CONTRACT §3): admin only, scoped to the caller's organization."""

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.response import Response

from actions.models import Action
from orgs.api import OrgGenericView

from .breakdowns import action_reports
from .selectors import action_results


class ActionResults(OrgGenericView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        return Response(action_results(action=self.get_scoped(Action, pk)))


class ActionReports(OrgGenericView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        return Response(action_reports(action=self.get_scoped(Action, pk)))
