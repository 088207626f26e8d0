"""`messages`: every message of the action, both directions, with Twilio's status and error."""

from django.db.models import Case, CharField, QuerySet, Value, When
from django.db.models.functions import Cast, Concat

from actions.models import Message
from reporting.errors import NAMES

from ..base import Exporter
from ..columns import INT, PHONE, TIME, Column
from ..registry import register

# reporting.errors.error_name in SQL; a message without a code has no name.
ERROR_NAME = Case(
    When(error_code__isnull=True, then=Value(None)),
    default=Case(
        *[When(error_code=code, then=Value(name)) for code, name in NAMES.items() if code],
        default=Concat(Value("Twilio error "), Cast("error_code", CharField())),
    ),
    output_field=CharField(),
)


@register
class MessagesExporter(Exporter):
    kind = "messages"
    title = "Messages"
    description = "Every message: SID, direction, sender, body, status, error, times."
    estimate_from = ("initial_messages", "follow_ups", "responses", "twilio_errors")

    def queryset(self) -> QuerySet:
        return Message.objects.for_org(self.action.organization_id).filter(action=self.action).order_by("created_at", "id")

    def get_columns(self) -> list[Column]:
        return [
            Column("message_id", "id", INT),
            Column("twilio_sid", "twilio_sid"),
            Column("conversation_id", "conversation_id", INT),
            Column("phone", "phone", PHONE),
            Column("direction", "direction"),
            Column("kind", "kind"),
            Column("sender_id", "sent_by_id", INT),
            Column("sender_email", "sent_by__email"),
            Column("body", "body"),
            Column("response_script", "response_script"),
            Column("status", "status"),
            Column("error_code", "error_code", INT),
            Column("error_name", ERROR_NAME),
            Column("error_message", "error_message"),
            Column("created_at", "created_at", TIME),
            Column("sent_at", "sent_at", TIME),
            Column("status_updated_at", "status_updated_at", TIME),
        ]
