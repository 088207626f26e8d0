"""`opt_outs`: the conversations in which the contact opted out during this action, each
once (so the row count is the results page's opt-out figure), with how and when."""

from django.db.models import OuterRef, QuerySet, Subquery

from actions.models import Conversation, OptOutEvent

from ..base import Exporter
from ..columns import BOOL, INT, TIME, Column
from ..registry import register
from .contacts import contact_columns


@register
class OptOutsExporter(Exporter):
    kind = "opt_outs"
    title = "Opt-outs"
    description = "Contacts who opted out during this action: when, how, and whether they still are."
    estimate_from = ("opt_outs",)

    def queryset(self) -> QuerySet:
        return (
            Conversation.objects.for_org(self.action.organization_id)
            .filter(action=self.action, opted_out_at__isnull=False)
            .order_by("opted_out_at", "id")
        )

    def get_columns(self) -> list[Column]:
        first_out = OptOutEvent.objects.filter(conversation=OuterRef("pk"), kind=OptOutEvent.Kind.OUT).order_by(
            "created_at", "id"
        )
        return [
            Column("conversation_id", "id", INT),
            *contact_columns(),
            Column("source", Subquery(first_out.values("source")[:1])),
            Column("opted_out_at", "opted_out_at", TIME),
            Column("still_opted_out", "contact_opted_out", BOOL),
            Column("assigned_user_email", "assigned_user__email"),
        ]
