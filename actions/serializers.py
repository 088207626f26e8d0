from rest_framework import serializers

from orgs.api import OrgUserField

from .models import Action, ActionRecipient, Conversation, Message, Report


class ActionSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    custom_fields = serializers.ListField(child=serializers.DictField(), required=False)
    response_scripts = serializers.ListField(child=serializers.DictField(), required=False)

    class Meta:
        model = Action
        fields = ["id", "name", "status", "initial_script", "tags", "custom_fields", "response_scripts", "created_at"]
        read_only_fields = ["id", "status", "created_at"]


class ActionStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Action.Status.choices)


class SendSerializer(serializers.Serializer):
    user_ids = serializers.ListField(child=OrgUserField(), allow_empty=False)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class MyActionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="action.id")
    name = serializers.CharField(source="action.name")
    action_status = serializers.CharField(source="action.status")
    initial_script = serializers.CharField(source="action.initial_script")
    tags = serializers.JSONField(source="action.tags")
    custom_fields = serializers.JSONField(source="action.custom_fields")
    response_scripts = serializers.JSONField(source="action.response_scripts")

    class Meta:
        model = ActionRecipient
        fields = [
            "id",
            "name",
            "action_status",
            "status",
            "initial_script",
            "tags",
            "custom_fields",
            "response_scripts",
            "sent_at",
            "seen_at",
            "started_at",
            "completions",
        ]


class ConversationSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="contact.phone")
    first_name = serializers.CharField(source="contact.first_name")
    last_name = serializers.CharField(source="contact.last_name")
    opted_out = serializers.BooleanField(source="contact_opted_out")

    class Meta:
        model = Conversation
        fields = [
            "id",
            "action_id",
            "phone",
            "first_name",
            "last_name",
            "needs_attention",
            "opted_out",
            "has_initial",
            "inbound_count",
            "report_count",
            "last_message_at",
        ]


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "conversation_id", "direction", "kind", "body", "status", "error_code", "response_script", "created_at"]


class SendMessageSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=False, max_length=1600, trim_whitespace=False)
    response_script = serializers.CharField(required=False)

    def validate(self, attrs):
        if "body" in attrs and "response_script" in attrs:
            raise serializers.ValidationError({"body": "send either body or response_script, not both"})
        return attrs


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ["id", "conversation_id", "tags", "custom_fields", "author_id", "created_at"]


class ReportInputSerializer(serializers.Serializer):
    tags = serializers.JSONField(required=False, default=list)
    custom_fields = serializers.JSONField(required=False, default=dict)


class BatchSerializer(serializers.Serializer):
    size = serializers.IntegerField(min_value=1, max_value=1000)
