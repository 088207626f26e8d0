"""Admin API of User Engagement (CONTRACT §3): the table, re-assignment, bulk actions and
the audit log. Thin adapters over engagement.selectors and engagement.services."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from actions.models import Action
from orgs.api import OrgGenericView, OrgScopedMixin

from .filters import FILTER_NAMES
from .models import AuditEvent, BulkJob, Reassignment
from .selectors import AuditFilterSet, ConversationFilter, engagement_rows, reassignment_preview, user_names
from .selectors.table import ORDERING
from .serializers import (
    AuditEventSerializer,
    BulkJobInputSerializer,
    BulkJobSerializer,
    EngagementRowSerializer,
    ReassignmentInputSerializer,
    ReassignmentSerializer,
)
from .services.bulk import bulk_job_create
from .services.reassign import reassignment_create, reassignment_undo


class ActionScopedView(OrgGenericView):
    """A view under /actions/<pk>/: the action is fetched through the organization (404)."""

    @property
    def scoped_action(self) -> Action:
        if not hasattr(self, "_action"):
            self._action = self.get_scoped(Action, self.kwargs["pk"])
        return self._action


@extend_schema(
    parameters=[OpenApiParameter(name, required=False) for name in FILTER_NAMES]
    + [OpenApiParameter("ordering", required=False, description=", ".join(ORDERING))]
)
class EngagementList(ActionScopedView, generics.ListAPIView):
    serializer_class = EngagementRowSerializer
    filter_backends: list = []  # filters and ordering are the selector's, shared with exports

    def get_queryset(self) -> QuerySet:
        params = self.request.query_params
        return engagement_rows(action=self.scoped_action, filters=params, ordering=params.get("ordering"))


def _conversation_filter(data: dict) -> ConversationFilter:
    return ConversationFilter(
        tags=tuple(data["tags"]), error_codes=tuple(data["error_codes"]), attention_hours=data["attention_hours"]
    )


class ReassignmentInputView(ActionScopedView):
    serializer_class = ReassignmentSerializer

    def validated(self, request) -> dict:
        serializer = ReassignmentInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ReassignmentListCreate(ReassignmentInputView, generics.ListAPIView):
    queryset = Reassignment.objects.none()  # names the model for the schema; get_queryset scopes

    def get_queryset(self) -> QuerySet:
        return Reassignment.objects.filter(action=self.scoped_action).order_by("-created_at", "-id")

    def get_serializer(self, *args, **kwargs):
        records = args[0] if args else []
        ids = {uid for r in records for uid in (r.from_user_id, *r.to_user_ids)}
        kwargs["context"] = {**self.get_serializer_context(), "names": user_names(user_ids=ids)}
        return super().get_serializer(*args, **kwargs)

    @extend_schema(request=ReassignmentInputSerializer, responses={200: ReassignmentSerializer})
    def post(self, request, pk):
        action = self.scoped_action
        data = self.validated(request)
        record = reassignment_create(
            action=action,
            created_by=request.user,
            from_user_id=data["from_user"].id,
            to_user_ids=data["targets"],
            scope=data["scope"],
            conversation_filter=_conversation_filter(data),
        )
        return Response(ReassignmentSerializer(record).data)


class ReassignmentPreview(ReassignmentInputView):
    @extend_schema(request=ReassignmentInputSerializer, responses={200: dict})
    def post(self, request, pk):
        action = self.scoped_action
        data = self.validated(request)
        preview = reassignment_preview(
            action=action,
            from_user_id=data["from_user"].id,
            to_user_ids=data["targets"],
            scope=data["scope"],
            conversation_filter=_conversation_filter(data),
        )
        return Response(preview)


class ReassignmentUndo(ActionScopedView):
    serializer_class = ReassignmentSerializer

    @extend_schema(request=None, responses=ReassignmentSerializer)
    def post(self, request, pk, reassignment_id):
        record = generics.get_object_or_404(Reassignment.objects.filter(action=self.scoped_action), pk=reassignment_id)
        return Response(ReassignmentSerializer(reassignment_undo(reassignment=record, by=request.user)).data)


class BulkJobListCreate(ActionScopedView, generics.ListAPIView):
    queryset = BulkJob.objects.none()  # names the model for the schema; get_queryset scopes
    serializer_class = BulkJobSerializer

    def get_queryset(self) -> QuerySet:
        return BulkJob.objects.filter(action=self.scoped_action).order_by("-created_at", "-id")

    @extend_schema(request=BulkJobInputSerializer, responses={201: BulkJobSerializer})
    def post(self, request, pk):
        action = self.scoped_action
        serializer = BulkJobInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = None
        if data.get("target_action") is not None:
            target = Action.objects.for_org(self.org).filter(pk=data["target_action"]).first()
        params = {k: data[k] for k in ("title", "subject", "body") if data.get(k)}
        job = bulk_job_create(
            action=action,
            created_by=request.user,
            kind=data["kind"],
            filters=data["filters"],
            params=params,
            target_action=target,
        )
        job.refresh_from_db()
        return Response(BulkJobSerializer(job).data, status=status.HTTP_201_CREATED)


class BulkJobDetail(ActionScopedView):
    serializer_class = BulkJobSerializer

    def get(self, request, pk, job_id):
        job = generics.get_object_or_404(BulkJob.objects.filter(action=self.scoped_action), pk=job_id)
        return Response(BulkJobSerializer(job, context={"with_failures": True}).data)


class AuditList(OrgScopedMixin, generics.ListAPIView):
    queryset = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    serializer_class = AuditEventSerializer
    filterset_class = AuditFilterSet
    ordering_fields = ["created_at", "verb"]
