"""CONTRACT §4 counted a third way, in plain Python over the raw rows, for tests only: the
figures the page and API show must equal this, independently of contrib.py and recompute.py."""

from actions.models import Action, ActionRecipient, Conversation, LinkClick, Message, OptOut, OptOutEvent, Report

FAILED = ("failed", "undelivered")
FILTERING = (30007, 30004)


def recount(action: Action) -> dict[str, int]:
    recipients = list(ActionRecipient.objects.filter(action=action))
    messages = list(Message.objects.filter(action=action))
    conversations = list(Conversation.objects.filter(action=action).select_related("contact"))
    opted_phones = set(OptOut.objects.filter(organization_id=action.organization_id).values_list("phone", flat=True))
    reported = set(Report.objects.filter(action=action).values_list("conversation_id", flat=True))
    opted_in_action = set(
        OptOutEvent.objects.filter(conversation__action=action, kind="out").values_list("conversation_id", flat=True)
    )
    outbound = [m for m in messages if m.direction == "out"]
    by_conv: dict[int, list[Message]] = {}
    for m in messages:
        by_conv.setdefault(m.conversation_id, []).append(m)

    def needs_attention(c: Conversation) -> bool:
        mine = by_conv.get(c.id, [])
        if c.contact.phone in opted_phones or not any(m.direction == "in" for m in mine):
            return False
        counted = [m for m in mine if not (m.direction == "out" and m.status in FAILED)]
        latest = max(counted, key=lambda m: (m.created_at, m.direction == "in"))
        return latest.direction == "in" or c.id not in reported

    responded = {c.id for c in conversations if any(m.direction == "in" for m in by_conv.get(c.id, []))}
    clicks = list(LinkClick.objects.filter(action=action))
    return {
        "sent_to": len(recipients),
        "seen": sum(1 for r in recipients if r.seen_at or r.started_at),
        "started": sum(1 for r in recipients if r.started_at),
        "completed": sum(1 for r in recipients if r.completions > 0),
        "performs": sum(r.completions for r in recipients),
        "reports": Report.objects.filter(action=action).count(),
        "reports_available": len(responded),
        "reports_filled": len(responded & reported),
        "initial_messages": sum(1 for m in outbound if m.kind == "initial" and m.twilio_sid),
        "responses": sum(1 for m in messages if m.direction == "in"),
        "follow_ups": sum(1 for m in outbound if m.kind == "follow_up" and m.twilio_sid),
        "opt_outs": len(opted_in_action),
        "messages_remaining": sum(
            1
            for c in conversations
            if not any(m.kind == "initial" for m in by_conv.get(c.id, [])) and c.contact.phone not in opted_phones
        ),
        "needs_attention": sum(1 for c in conversations if needs_attention(c)),
        "twilio_errors": sum(1 for m in outbound if m.status in FAILED and m.error_code not in FILTERING),
        "carrier_filtering": sum(1 for m in outbound if m.status in FAILED and m.error_code in FILTERING),
        "delivered": sum(1 for m in outbound if m.status in ("delivered", "read")),
        "link_clicks": sum(1 for c in clicks if not c.is_bot),
        "link_clicks_bots": sum(1 for c in clicks if c.is_bot),
    }
