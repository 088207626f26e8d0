"""`link_clicks`: every request for the action's tracked links, bots and previews flagged
(the results page counts the rows with `is_bot` false)."""

from django.db.models import QuerySet

from actions.models import LinkClick

from ..base import Exporter
from ..columns import BOOL, INT, PHONE, TIME, Column
from ..registry import register


@register
class LinkClicksExporter(Exporter):
    kind = "link_clicks"
    title = "Link clicks"
    description = "Every tracked-link request, with the bot and link-preview flag."
    estimate_from = ("link_clicks", "link_clicks_bots")

    def queryset(self) -> QuerySet:
        return LinkClick.objects.for_org(self.action.organization_id).filter(action=self.action).order_by("clicked_at", "id")

    def get_columns(self) -> list[Column]:
        return [
            Column("click_id", "id", INT),
            Column("clicked_at", "clicked_at", TIME),
            Column("url", "link__url"),
            Column("code", "link__code"),
            Column("conversation_id", "link__conversation_id", INT),
            Column("phone", "link__conversation__contact__phone", PHONE),
            Column("is_bot", "is_bot", BOOL),
            Column("method", "method"),
            Column("user_agent", "user_agent"),
        ]
