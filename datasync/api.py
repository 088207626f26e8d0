"""DataSync API (CONTRACT §6): connections, catalogue, mappings, the action's sync state. Admins only."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from actions.models import Action
from orgs.api import OrgGenericView, OrgScopedMixin

from .http import CrmError
from .models import CrmConnection, SyncItem, SyncMapping
from .selectors import datasync_block, sync_items
from .serializers import ConnectionSerializer, ItemSerializer, MappingSerializer, RetrySerializer
from .services.connections import connection_create, connection_refresh_catalog, connection_test
from .services.items import items_retry
from .services.mappings import mapping_delete, mapping_set

TestResult = inline_serializer("ConnectionTestResult", {"ok": serializers.BooleanField(), "error": serializers.CharField()})


class ConnectionListCreate(OrgScopedMixin, generics.ListCreateAPIView):
    queryset = CrmConnection.objects.order_by("id")
    serializer_class = ConnectionSerializer
    ordering_fields = ["id", "kind", "name", "created_at"]
    filterset_fields = ["kind"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        connection = connection_create(organization=self.org, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(connection).data, status=status.HTTP_201_CREATED)


class ConnectionDetail(OrgScopedMixin, generics.RetrieveAPIView):
    queryset = CrmConnection.objects.all()
    serializer_class = ConnectionSerializer


class ConnectionTest(OrgGenericView):
    @extend_schema(request=None, responses=TestResult)
    def post(self, request, pk):
        ok, error = connection_test(connection=self.get_scoped(CrmConnection, pk), actor=request.user)
        return Response({"ok": ok, "error": error})


class ConnectionCatalog(OrgGenericView):
    """The cached catalogue; fetched when never fetched, or with ?refresh=1."""

    @extend_schema(responses=dict)
    def get(self, request, pk):
        connection = self.get_scoped(CrmConnection, pk)
        if not connection.catalog or request.query_params.get("refresh") in ("1", "true"):
            try:
                connection_refresh_catalog(connection=connection)
            except CrmError as exc:
                return Response({"detail": f"the catalogue could not be fetched: {exc.text}"}, status=status.HTTP_502_BAD_GATEWAY)
        return Response({"kind": connection.kind, "fetched_at": connection.catalog_fetched_at, **connection.catalog})


class ActionMappings(OrgScopedMixin, generics.ListCreateAPIView):
    queryset = SyncMapping.objects.order_by("id")
    serializer_class = MappingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no action
            return SyncMapping.objects.none()
        return super().get_queryset().filter(action=self.get_scoped(Action, self.kwargs["pk"]))

    def create(self, request, pk):
        action = self.get_scoped(Action, pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        mapping, created = mapping_set(
            action=action, connection=data["connection"], source=data["source"], target=data["target"], actor=request.user
        )
        return Response(self.get_serializer(mapping).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ActionMappingDetail(OrgGenericView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk, mapping_id):
        action = self.get_scoped(Action, pk)
        mapping = SyncMapping.objects.for_org(self.org).filter(action=action, pk=mapping_id).first()
        if mapping is None:
            raise Http404("No mapping matches the given query.")
        mapping_delete(mapping=mapping, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActionDatasync(OrgGenericView):
    @extend_schema(responses=dict)
    def get(self, request, pk):
        return Response(datasync_block(self.get_scoped(Action, pk)))


class ActionItems(OrgScopedMixin, generics.ListAPIView):
    queryset = SyncItem.objects.all()
    serializer_class = ItemSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SyncItem.objects.none()
        params = self.request.query_params
        action = self.get_scoped(Action, self.kwargs["pk"])
        return sync_items(action=action, status=params.get("status"), source=params.get("source"))


class ActionRetry(OrgGenericView):
    serializer_class = RetrySerializer

    @extend_schema(responses=inline_serializer("RetryResult", {"retried": serializers.IntegerField()}))
    def post(self, request, pk):
        action = self.get_scoped(Action, pk)
        serializer = RetrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        retried = items_retry(action=action, item_ids=serializer.validated_data.get("items"), actor=request.user)
        return Response({"retried": retried})
