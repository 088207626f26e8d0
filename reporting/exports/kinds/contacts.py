"""`contacts`: one row per conversation of the action: the contact, its attributes, who
holds it, where it stands, one column per tag and one per custom field (the latest report's
answers, as the results page counts them)."""

from django.db.models import Case, FilteredRelation, Q, QuerySet, Value, When
from django.db.models.fields.json import KeyTextTransform

from actions.models import Conversation

from ..base import Exporter
from ..columns import BOOL, INT, PHONE, TIME, Column
from ..registry import register
from .expressions import JSONArrayHas, contact_attribute_keys


def contact_columns(path: str = "contact") -> list[Column]:
    return [
        Column("contact_id", f"{path}_id", INT),
        Column("phone", f"{path}__phone", PHONE),
        Column("first_name", f"{path}__first_name"),
        Column("last_name", f"{path}__last_name"),
        Column("van_id", f"{path}__van_id"),
        Column("pdi_id", f"{path}__pdi_id"),
    ]


STATE = Case(
    When(contact_opted_out=True, then=Value("opted_out")),
    When(has_initial=False, then=Value("unsent")),
    When(needs_attention=True, then=Value("needs_attention")),
    When(inbound_count__gt=0, then=Value("replied")),
    default=Value("sent"),
)


@register
class ContactsExporter(Exporter):
    kind = "contacts"
    title = "Contacts"
    description = "One row per contact: attributes, assigned user, state, tags and custom fields."
    estimate_from = ("conversations",)

    def queryset(self) -> QuerySet:
        return (
            Conversation.objects.for_org(self.action.organization_id)
            .filter(action=self.action)
            .annotate(initial=FilteredRelation("messages", condition=Q(messages__kind="initial")))
            .order_by("id")
        )

    def get_columns(self) -> list[Column]:
        head = [Column("conversation_id", "id", INT), *contact_columns()]
        state = [
            Column("assigned_user_id", "assigned_user_id", INT),
            Column("assigned_user_email", "assigned_user__email"),
            Column("state", STATE),
            Column("initial_sent_at", "initial__created_at", TIME),
            Column("last_message_at", "last_message_at", TIME),
            Column("responses", "inbound_count", INT),
            Column("needs_attention", "needs_attention", BOOL),
            Column("opted_out", "contact_opted_out", BOOL),
            Column("opted_out_at", "opted_out_at", TIME),
            Column("last_error_code", "last_error_code", INT),
            Column("reports", "report_count", INT),
        ]
        taken = {c.name for c in head + state}
        attributes = [
            Column(key if key not in taken else f"attribute:{key}", KeyTextTransform(key, "contact__attributes"))
            for key in contact_attribute_keys(self.action)
        ]
        tags = [Column(f"tag:{tag}", JSONArrayHas("latest_report__tags", tag), BOOL) for tag in self.action.tags]
        fields = [
            Column(f"field:{f['key']}", KeyTextTransform(f["key"], "latest_report__custom_fields"))
            for f in self.action.custom_fields
        ]
        return [*head, *attributes, *state, *tags, *fields]
