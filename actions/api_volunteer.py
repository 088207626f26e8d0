"""Volunteer API (CONTRACT §3): the caller's own work only. An action not sent to the caller
and a conversation the caller does not hold both answer 404."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response

from orgs.api import IsOrgMember, OrgGenericView, OrgScopedMixin

from .models import ActionRecipient, Conversation, Message
from .serializers import (
    BatchSerializer,
    ConversationSerializer,
    MessageSerializer,
    MyActionSerializer,
    ReportInputSerializer,
    ReportSerializer,
    SendMessageSerializer,
)
from .services.actions import recipient_record
from .services.conversations import (
    conversation_claim_batch,
    conversation_file_report,
    conversation_opt_out,
    conversation_send_message,
)

CONVERSATION_STATES = ("unsent", "needs_attention", "all")


class VolunteerMixin(OrgScopedMixin):
    permission_classes = [permissions.IsAuthenticated, IsOrgMember]

    def my_recipient(self, action_id) -> ActionRecipient:
        try:
            return (
                ActionRecipient.objects.for_org(self.org)
                .select_related("action")
                .get(action_id=int(action_id), user=self.request.user)
            )
        except (ActionRecipient.DoesNotExist, ValueError):
            raise Http404("No action matches the given query.") from None

    def my_conversation(self, pk) -> Conversation:
        try:
            return (
                Conversation.objects.for_org(self.org)
                .select_related("contact", "action")
                .get(pk=int(pk), assigned_user=self.request.user)
            )
        except (Conversation.DoesNotExist, ValueError):
            raise Http404("No conversation matches the given query.") from None


class MyActions(VolunteerMixin, generics.ListAPIView):
    queryset = ActionRecipient.objects.select_related("action").order_by("-sent_at", "-id")
    serializer_class = MyActionSerializer

    def get_queryset(self):
        return super().get_queryset().filter(user=self.request.user)


class MyActionEvent(VolunteerMixin, generics.GenericAPIView):
    serializer_class = MyActionSerializer
    event = ""

    def post(self, request, pk):
        recipient = self.my_recipient(pk)
        recipient = recipient_record(action=recipient.action, user=request.user, event=self.event)
        return Response(MyActionSerializer(recipient).data)


class MyBatch(VolunteerMixin, generics.GenericAPIView):
    serializer_class = BatchSerializer

    @extend_schema(
        responses=inline_serializer(
            "ClaimedBatch", {"claimed": serializers.IntegerField(), "conversations": ConversationSerializer(many=True)}
        )
    )
    def post(self, request, pk):
        recipient = self.my_recipient(pk)
        serializer = BatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = conversation_claim_batch(action=recipient.action, user=request.user, size=serializer.validated_data["size"])
        rows = Conversation.objects.select_related("contact").filter(id__in=ids).order_by("id")
        return Response({"claimed": len(ids), "conversations": ConversationSerializer(rows, many=True).data})


class MyConversations(VolunteerMixin, generics.ListAPIView):
    queryset = Conversation.objects.select_related("contact").order_by("id")
    serializer_class = ConversationSerializer
    ordering_fields = ["id", "last_message_at"]

    @extend_schema(parameters=[OpenApiParameter("state", enum=CONVERSATION_STATES, required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        recipient = self.my_recipient(self.kwargs["pk"])
        qs = super().get_queryset().filter(action=recipient.action, assigned_user=self.request.user)
        state = self.request.query_params.get("state", "all")
        if state not in CONVERSATION_STATES:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"state": f"must be one of {', '.join(CONVERSATION_STATES)}"})
        if state == "unsent":
            qs = qs.filter(has_initial=False, contact_opted_out=False)
        elif state == "needs_attention":
            qs = qs.filter(needs_attention=True)
        return qs


class ConversationMessages(VolunteerMixin, generics.ListCreateAPIView):
    queryset = Message.objects.none()  # names the model for the schema; get_queryset scopes
    serializer_class = MessageSerializer

    @extend_schema(request=SendMessageSerializer, responses={201: MessageSerializer})
    def post(self, request, pk):
        conversation = self.my_conversation(pk)
        serializer = SendMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = conversation_send_message(conversation=conversation, sent_by=request.user, **serializer.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    def get_queryset(self):
        return self.my_conversation(self.kwargs["pk"]).messages.order_by("created_at", "id")


class ConversationReport(VolunteerMixin, OrgGenericView):
    serializer_class = ReportInputSerializer

    @extend_schema(request=ReportInputSerializer, responses={201: ReportSerializer})
    def post(self, request, pk):
        conversation = self.my_conversation(pk)
        serializer = ReportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = conversation_file_report(conversation=conversation, author=request.user, **serializer.validated_data)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class ConversationOptOut(VolunteerMixin, OrgGenericView):
    serializer_class = ConversationSerializer

    @extend_schema(request=None, responses=ConversationSerializer)
    def post(self, request, pk):
        conversation = conversation_opt_out(conversation=self.my_conversation(pk), by=request.user)
        return Response(ConversationSerializer(conversation).data)
