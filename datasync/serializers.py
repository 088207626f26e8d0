from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgs.tenancy import org_of

from .models import CrmConnection, SyncItem, SyncMapping

SECRETS = ("api_key", "password", "api_token")
REQUIRED = {
    CrmConnection.Kind.VAN: ("application_name", "api_key", "mode"),
    CrmConnection.Kind.PDI: ("username", "password", "api_token"),
}


class ConnectionSerializer(serializers.ModelSerializer):
    """Secrets are write-only: no answer ever carries them."""

    kind = serializers.ChoiceField(choices=CrmConnection.Kind.choices)
    mode = serializers.ChoiceField(choices=[0, 1], required=False)
    requests_per_second = serializers.IntegerField(min_value=1, max_value=1000, required=False)

    class Meta:
        model = CrmConnection
        fields = [
            "id",
            "kind",
            "name",
            "application_name",
            "api_key",
            "mode",
            "username",
            "password",
            "api_token",
            "acquisition_type_id",
            "requests_per_second",
            "catalog_fetched_at",
            "last_tested_at",
            "last_test_ok",
            "last_test_error",
            "created_at",
        ]
        read_only_fields = ["id", "catalog_fetched_at", "last_tested_at", "last_test_ok", "last_test_error", "created_at"]
        extra_kwargs = {name: {"write_only": True, "style": {"input_type": "password"}} for name in SECRETS}

    def validate(self, data: dict) -> dict:
        missing = {name: ["This field is required."] for name in REQUIRED[data["kind"]] if data.get(name) in (None, "")}
        if missing:
            raise serializers.ValidationError(missing)
        return data


@extend_schema_field(OpenApiTypes.INT)
class ConnectionField(serializers.PrimaryKeyRelatedField):
    """A connection id of the caller's organization (else 400)."""

    default_error_messages = {"does_not_exist": "Connection {pk_value} is not a connection of this organization."}

    def get_queryset(self):
        return CrmConnection.objects.for_org(org_of(self.context["request"].user))


class MappingSerializer(serializers.ModelSerializer):
    connection = ConnectionField()
    source = serializers.CharField(max_length=300)
    target = serializers.JSONField()

    class Meta:
        model = SyncMapping
        fields = ["id", "connection", "source", "target", "label", "updated_at"]
        read_only_fields = ["id", "label", "updated_at"]


class ItemSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="contact.phone")
    first_name = serializers.CharField(source="contact.first_name")
    last_name = serializers.CharField(source="contact.last_name")

    class Meta:
        model = SyncItem
        fields = [
            "id",
            "contact_id",
            "phone",
            "first_name",
            "last_name",
            "connection_id",
            "person_id",
            "source",
            "target",
            "status",
            "skip_reason",
            "attempts",
            "last_error",
            "last_http_status",
            "recorded_at",
            "synced_at",
            "updated_at",
        ]


class RetrySerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, allow_empty=False)
