"""Volunteer API of the inbox, stored push notifications and device registration: the
caller's own only (someone else's message answers 404)."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response

from orgs.api import IsOrgMember, OrgScopedMixin

from .models import InboxMessage, Notification
from .serializers import DeviceSerializer, InboxMessageSerializer, NotificationSerializer
from .services.inbox import device_register, inbox_mark_read


class MemberMixin(OrgScopedMixin):
    permission_classes = [permissions.IsAuthenticated, IsOrgMember]


@extend_schema(parameters=[OpenApiParameter("unread", bool, required=False)])
class MyInbox(MemberMixin, generics.ListAPIView):
    serializer_class = InboxMessageSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        qs = InboxMessage.objects.for_org(self.org).filter(user=self.request.user).select_related("sender")
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs.order_by("-created_at", "-id")


class MyInboxRead(MemberMixin, generics.GenericAPIView):
    serializer_class = InboxMessageSerializer

    @extend_schema(request=None, responses=InboxMessageSerializer)
    def post(self, request, pk):
        message = generics.get_object_or_404(InboxMessage.objects.for_org(self.org).filter(user=request.user), pk=pk)
        return Response(InboxMessageSerializer(inbox_mark_read(message=message)).data)


class MyNotifications(MemberMixin, generics.ListAPIView):
    serializer_class = NotificationSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        return Notification.objects.for_org(self.org).filter(user=self.request.user).order_by("-created_at", "-id")


class MyDevices(MemberMixin, generics.GenericAPIView):
    serializer_class = DeviceSerializer

    @extend_schema(responses={200: DeviceSerializer, 201: DeviceSerializer})
    def post(self, request):
        serializer = DeviceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, created = device_register(
            user=request.user,
            organization_id=self.org.id,
            token=serializer.validated_data["token"],
            platform=serializer.validated_data.get("platform", "android"),
        )
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
