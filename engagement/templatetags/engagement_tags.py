from django import template
from django.http import HttpRequest

from actions.models import Action, ActionRecipient
from engagement.filters import TOGGLES, EngagementFilterSet

register = template.Library()

# Table columns as shown: (key the API sorts by, heading, numeric).
HEADINGS = [
    ("name", "User", False),
    ("status", "Status", False),
    ("performs", "Performs", True),
    ("held", "Contacts", True),
    ("initial_messages", "Initials sent", True),
    ("remaining", "Remaining", True),
    ("responses", "Responses", True),
    ("follow_ups", "Follow-ups", True),
    ("needs_attention", "Needs attention", True),
    ("opt_outs", "Opt-outs", True),
    ("reports", "Reports", True),
    ("median_answer_seconds", "Median answer", True),
    ("last_active", "Last active", False),
]


@register.inclusion_tag("engagement/section.html")
def engagement_section(action: Action, request: HttpRequest) -> dict:
    """The section's filter form is bound to the page's own query string, so a shared link
    opens the same filtered table; "Activities received" starts at this action."""
    data = request.GET.copy()
    if "received" not in data:
        data.setlist("received", [str(action.id)])
    filterset = EngagementFilterSet(data=data, queryset=ActionRecipient.objects.none(), action=action)
    form = filterset.form
    form.auto_id = "eng-%s"
    toggles = [(name, filterset.filters[name].label, data.get(name) in ("true", "1")) for name in TOGGLES]
    others = Action.objects.for_org(action.organization_id).exclude(pk=action.pk).order_by("-created_at")[:200]
    return {
        "action": action,
        "form": form,
        "toggles": toggles,
        "headings": HEADINGS,
        "other_actions": others,
        "scopes": [("needs_attention", "Needs attention"), ("unsent", "Unsent"), ("all", "All contacts")],
    }
