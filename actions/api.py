"""Admin API (CONTRACT §3): actions, contact upload, sending an action to users."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from orgs.api import OrgGenericView, OrgScopedMixin

from .models import Action
from .serializers import ActionSerializer, ActionStatusSerializer, SendSerializer, UploadSerializer
from .services.actions import action_create, action_send, action_set_status
from .services.contacts import contacts_upload


class ActionListCreate(OrgScopedMixin, generics.ListCreateAPIView):
    queryset = Action.objects.order_by("-created_at", "-id")
    serializer_class = ActionSerializer
    ordering_fields = ["id", "name", "created_at", "status"]
    filterset_fields = ["status"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action = action_create(organization=self.org, created_by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(action).data, status=status.HTTP_201_CREATED)


class ActionDetail(OrgScopedMixin, generics.RetrieveAPIView):
    queryset = Action.objects.all()
    serializer_class = ActionSerializer

    @extend_schema(request=ActionStatusSerializer, responses=ActionSerializer)
    def patch(self, request, pk):
        action = self.get_object()  # scope before body: another organization's id is a 404
        serializer = ActionStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action = action_set_status(action=action, status=serializer.validated_data["status"], actor=request.user)
        return Response(ActionSerializer(action).data)


class ContactUpload(OrgGenericView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = UploadSerializer

    def post(self, request, pk):
        action = self.get_scoped(Action, pk)
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"file": ["Upload a CSV file in the multipart field 'file'."]}, status=400)
        if upload.size > settings.MAX_UPLOAD_BYTES:
            return Response(
                {"file": [f"The file is {upload.size} bytes; the limit is {settings.MAX_UPLOAD_BYTES} bytes."]}, status=413
            )
        result = contacts_upload(action=action, data=upload.read(), actor=request.user)
        return Response(result.as_dict(), status=status.HTTP_200_OK)


class ActionSend(OrgGenericView):
    serializer_class = SendSerializer

    def post(self, request, pk):
        action = self.get_scoped(Action, pk)
        serializer = SendSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        users = serializer.validated_data["user_ids"]
        created = action_send(action=action, user_ids=[u.id for u in users], actor=request.user)
        return Response({"sent_to": len(users), "new_recipients": created, "status": action.status})
