"""`users`: the User Engagement rows (CONTRACT §3), one per user the action was sent to,
read from engagement.selectors so the export and the table can never disagree."""

from django.db.models import QuerySet

from engagement.selectors import engagement_queryset

from ..base import Exporter
from ..columns import INT, TIME, Column
from ..registry import register

COUNTS = (
    "performs",
    "initial_messages",
    "responses",
    "follow_ups",
    "opt_outs",
    "needs_attention",
    "reports",
    "held",
    "remaining",
    "delivered",
    "twilio_errors",
    "carrier_filtering",
)


@register
class UsersExporter(Exporter):
    kind = "users"
    title = "Users"
    description = "One row per user the action was sent to, with their engagement figures."
    estimate_from = ("sent_to",)

    def queryset(self) -> QuerySet:
        return engagement_queryset(action=self.action).order_by("user_id")

    def get_columns(self) -> list[Column]:
        return [
            Column("user_id", "user_id", INT),
            Column("email", "email"),
            Column("name", "name"),
            Column("status", "status"),
            *[Column(name, name, INT) for name in COUNTS],
            Column("last_active", "last_active", TIME),
            Column("sent_at", "sent_at", TIME),
        ]
