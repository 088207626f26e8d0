"""What each export must hold, built straight from the ORM objects in plain Python (an
oracle independent of the exporters' SQL), and the cell each value becomes in CSV or XLSX."""

from datetime import UTC, datetime

from actions.models import Action, ActionRecipient, Contact, Conversation, LinkClick, Message, OptOutEvent
from reporting.errors import error_name
from reporting.exports.columns import escape_text
from reporting.models import ActionUserStats


def cell(value, fmt: str):
    """An expected value as the cell a parsed file shows (CSV: text; XLSX: typed, blank None)."""
    if value is None or value == "":
        return "" if fmt == "csv" else None
    if isinstance(value, bool):
        return ("true" if value else "false") if fmt == "csv" else value
    if isinstance(value, int):
        return str(value) if fmt == "csv" else value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return escape_text(str(value))


def _state(c: Conversation) -> str:
    if c.contact_opted_out:
        return "opted_out"
    if not c.has_initial:
        return "unsent"
    if c.needs_attention:
        return "needs_attention"
    return "replied" if c.inbound_count else "sent"


def contacts(action: Action) -> list[dict]:
    attribute_keys = sorted(
        {k for attrs in Contact.objects.filter(conversations__action=action).values_list("attributes", flat=True) for k in attrs}
    )
    rows = []
    convs = Conversation.objects.filter(action=action).select_related("contact", "assigned_user", "latest_report").order_by("id")
    for c in convs:
        initial = c.messages.filter(kind=Message.Kind.INITIAL).first()
        report = c.latest_report
        rows.append(
            {
                "conversation_id": c.id,
                "contact_id": c.contact_id,
                "phone": c.contact.phone,
                "first_name": c.contact.first_name,
                "last_name": c.contact.last_name,
                "van_id": c.contact.van_id,
                "pdi_id": c.contact.pdi_id,
                **{k: c.contact.attributes.get(k) for k in attribute_keys},
                "assigned_user_id": c.assigned_user_id,
                "assigned_user_email": c.assigned_user.email if c.assigned_user else None,
                "state": _state(c),
                "initial_sent_at": initial.created_at if initial else None,
                "last_message_at": c.last_message_at,
                "responses": c.inbound_count,
                "needs_attention": c.needs_attention,
                "opted_out": c.contact_opted_out,
                "opted_out_at": c.opted_out_at,
                "last_error_code": c.last_error_code,
                "reports": c.report_count,
                **{f"tag:{t}": (t in report.tags if report else None) for t in action.tags},
                **{f"field:{f['key']}": (report.custom_fields.get(f["key"]) if report else None) for f in action.custom_fields},
            }
        )
    return rows


def messages(action: Action) -> list[dict]:
    return [
        {
            "message_id": m.id,
            "twilio_sid": m.twilio_sid,
            "conversation_id": m.conversation_id,
            "phone": m.phone,
            "direction": m.direction,
            "kind": m.kind,
            "sender_id": m.sent_by_id,
            "sender_email": m.sent_by.email if m.sent_by else None,
            "body": m.body,
            "response_script": m.response_script,
            "status": m.status,
            "error_code": m.error_code,
            "error_name": error_name(m.error_code) if m.error_code is not None else None,
            "error_message": m.error_message,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
            "status_updated_at": m.status_updated_at,
        }
        for m in Message.objects.filter(action=action).select_related("sent_by").order_by("created_at", "id")
    ]


def users(action: Action) -> list[dict]:
    stats = {s.user_id: s for s in ActionUserStats.objects.filter(action=action)}
    rows = []
    for r in ActionRecipient.objects.filter(action=action).select_related("user").order_by("user_id"):
        s = stats.get(r.user_id) or ActionUserStats()
        rows.append(
            {
                "user_id": r.user_id,
                "email": r.user.email,
                "name": f"{r.user.first_name} {r.user.last_name}".strip(),
                "status": r.status,
                "performs": r.completions,
                "initial_messages": s.initial_messages,
                "responses": s.responses,
                "follow_ups": s.follow_ups,
                "opt_outs": s.opt_outs,
                "needs_attention": s.needs_attention,
                "reports": s.reports,
                "held": s.held,
                "remaining": s.unsent,
                "delivered": s.delivered,
                "twilio_errors": s.twilio_errors,
                "carrier_filtering": s.carrier_filtering,
                "last_active": r.last_active_at,
                "sent_at": r.sent_at,
            }
        )
    return rows


def opt_outs(action: Action) -> list[dict]:
    rows = []
    convs = Conversation.objects.filter(action=action, opted_out_at__isnull=False).select_related("contact", "assigned_user")
    for c in convs.order_by("opted_out_at", "id"):
        first = OptOutEvent.objects.filter(conversation=c, kind="out").order_by("created_at", "id").first()
        rows.append(
            {
                "conversation_id": c.id,
                "contact_id": c.contact_id,
                "phone": c.contact.phone,
                "first_name": c.contact.first_name,
                "last_name": c.contact.last_name,
                "van_id": c.contact.van_id,
                "pdi_id": c.contact.pdi_id,
                "source": first.source if first else None,
                "opted_out_at": c.opted_out_at,
                "still_opted_out": c.contact_opted_out,
                "assigned_user_email": c.assigned_user.email if c.assigned_user else None,
            }
        )
    return rows


def link_clicks(action: Action) -> list[dict]:
    return [
        {
            "click_id": k.id,
            "clicked_at": k.clicked_at,
            "url": k.link.url,
            "code": k.link.code,
            "conversation_id": k.link.conversation_id,
            "phone": k.link.conversation.contact.phone,
            "is_bot": k.is_bot,
            "method": k.method,
            "user_agent": k.user_agent,
        }
        for k in LinkClick.objects.filter(action=action)
        .select_related("link__conversation__contact")
        .order_by("clicked_at", "id")
    ]


DATASYNC_HEADER = [
    "item_id",
    "contact_id",
    "contact",
    "phone",
    "van_id",
    "pdi_id",
    "crm",
    "source",
    "target",
    "status",
    "attempts",
    "last_error",
    "recorded_at",
    "synced_at",
]

ROWS = {"contacts": contacts, "messages": messages, "users": users, "opt_outs": opt_outs, "link_clicks": link_clicks}
