from rest_framework import serializers

from actions.models import Action
from orgs.api import OrgUserField

from .models import AuditEvent, BulkJob, DeviceToken, InboxMessage, Notification, Reassignment
from .selectors.table import STATUSES


class EngagementRowSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    performs = serializers.IntegerField()
    held = serializers.IntegerField(help_text="conversations the user holds now")
    initial_messages = serializers.IntegerField()
    remaining = serializers.IntegerField(help_text="held conversations with no initial yet, contact not opted out")
    responses = serializers.IntegerField()
    follow_ups = serializers.IntegerField()
    needs_attention = serializers.IntegerField()
    opt_outs = serializers.IntegerField()
    reports = serializers.IntegerField()
    delivered = serializers.IntegerField()
    twilio_errors = serializers.IntegerField()
    carrier_filtering = serializers.IntegerField()
    answered = serializers.IntegerField(help_text="replies the user answered")
    median_answer_seconds = serializers.SerializerMethodField(help_text="within one histogram bucket")
    last_active = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField()
    seen_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)

    def get_median_answer_seconds(self, row: dict) -> int | None:
        value = row["median_answer_seconds"]
        return None if value is None else round(value)


class ConversationFilterSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list)
    error_codes = serializers.ListField(child=serializers.IntegerField(min_value=0), required=False, default=list)
    attention_hours = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0)


class ReassignmentInputSerializer(ConversationFilterSerializer):
    from_user = OrgUserField()
    to_user = OrgUserField(required=False, help_text="one target (CONTRACT §3)")
    to_users = serializers.ListField(child=OrgUserField(), required=False, help_text="several targets, split evenly")
    scope = serializers.ChoiceField(choices=Reassignment.Scope.choices)

    def validate(self, attrs):
        targets = list(attrs.get("to_users") or [])
        if attrs.get("to_user") is not None:
            targets.insert(0, attrs["to_user"])
        if not targets:
            raise serializers.ValidationError({"to_user": ["Name the user (to_user) or users (to_users) to re-assign to."]})
        attrs["targets"] = [u.id for u in targets]
        return attrs


class ReassignmentSerializer(serializers.ModelSerializer):
    undo_url = serializers.SerializerMethodField()
    from_user_name = serializers.SerializerMethodField()
    to_user_names = serializers.SerializerMethodField()

    class Meta:
        model = Reassignment
        fields = [
            "id",
            "action_id",
            "created_by_id",
            "created_at",
            "from_user_id",
            "to_user_ids",
            "scope",
            "filters",
            "moved",
            "undone_at",
            "undone_by_id",
            "undone_moved",
            "undo_url",
            "from_user_name",
            "to_user_names",
        ]

    def _name(self, user_id: int) -> str:
        # The view passes every name the page needs in one query ("names").
        return self.context.get("names", {}).get(user_id, str(user_id))

    def get_from_user_name(self, obj: Reassignment) -> str:
        return self._name(obj.from_user_id)

    def get_to_user_names(self, obj: Reassignment) -> list[str]:
        return [self._name(uid) for uid in obj.to_user_ids]

    def get_undo_url(self, obj: Reassignment) -> str | None:
        if obj.undone_at is not None:
            return None
        return f"/api/v1/actions/{obj.action_id}/reassignments/{obj.id}/undo/"


class BulkJobInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BulkJob.Kind.choices)
    filters = serializers.DictField(required=False, default=dict, help_text="the engagement filters, as in the table's URL")
    title = serializers.CharField(required=False, max_length=200, help_text="push")
    subject = serializers.CharField(required=False, max_length=200, help_text="email (required), inbox message")
    body = serializers.CharField(required=False, max_length=5000, help_text="push, email, inbox message")
    target_action = serializers.IntegerField(required=False, help_text="send action: the action to send")

    REQUIRED = {"push": ("title", "body"), "email": ("subject", "body"), "inbox": ("body",), "send_action": ("target_action",)}

    def validate(self, attrs):
        missing = {name: ["This field is required."] for name in self.REQUIRED[attrs["kind"]] if not attrs.get(name)}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class BulkJobSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()
    failures = serializers.SerializerMethodField()

    class Meta:
        model = BulkJob
        fields = [
            "id",
            "action_id",
            "kind",
            "created_by_id",
            "created_at",
            "filters",
            "params",
            "status",
            "progress",
            "total",
            "processed",
            "succeeded",
            "failed",
            "started_at",
            "finished_at",
            "error",
            "url",
            "failures",
        ]

    def get_url(self, obj: BulkJob) -> str:
        return f"/api/v1/actions/{obj.action_id}/engagement/bulk/{obj.id}/"

    def get_failures(self, obj: BulkJob) -> list[dict]:
        if not self.context.get("with_failures"):
            return []
        rows = obj.failures.order_by("id").values("user_id", "user__email", "error")[:500]
        return [{"user_id": r["user_id"], "email": r["user__email"], "error": r["error"]} for r in rows]


class AuditEventSerializer(serializers.ModelSerializer):
    actor_email = serializers.CharField(source="actor.email", default=None)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor_id", "actor_email", "verb", "action_id", "subject_type", "subject_id", "summary"]


class InboxMessageSerializer(serializers.ModelSerializer):
    sender_name = serializers.SerializerMethodField()

    class Meta:
        model = InboxMessage
        fields = ["id", "subject", "body", "sender_name", "action_id", "created_at", "read_at"]

    def get_sender_name(self, obj: InboxMessage) -> str:
        if obj.sender is None:
            return ""
        return obj.sender.get_full_name() or obj.sender.email


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "data", "created_at"]


class DeviceSerializer(serializers.ModelSerializer):
    token = serializers.CharField(max_length=512)

    class Meta:
        model = DeviceToken
        fields = ["id", "token", "platform", "created_at", "last_seen_at"]
        read_only_fields = ["id", "created_at", "last_seen_at"]


class ActionChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Action
        fields = ["id", "name", "status"]
