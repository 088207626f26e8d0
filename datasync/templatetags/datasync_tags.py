from django import template

from ..models import SyncItem
from ..selectors import datasync_summary, sync_items

register = template.Library()
RECENT_FAILED = 5


@register.inclusion_tag("datasync/summary.html", takes_context=True)
def datasync_summary_card(context) -> dict:
    """The DataSync Summary of the page's `action`: counters and a few recent failures only."""
    action = context["action"]
    return {
        "action": action,
        "summary": datasync_summary(action=action),
        "failed_items": list(sync_items(action=action, status=SyncItem.Status.FAILED)[:RECENT_FAILED]),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
