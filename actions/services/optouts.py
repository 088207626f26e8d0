"""Organization-wide opt-outs by phone. Every conversation of that phone, in every action,
mirrors the current state (`contact_opted_out`); the conversation it happened in keeps
`opted_out_at` for good (CONTRACT §4: a later START does not lower opt-outs)."""

from actions.models import Conversation, Message, OptOut, OptOutEvent
from actions.signals import opt_out_recorded
from reporting.ledger import Ledger

OPT_OUT_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN_KEYWORDS = {"START", "YES", "UNSTOP"}
_TRIM = " \t\r\n.,!?;:'\"()[]{}-_*~`"


def keyword_of(body: str) -> str | None:
    """'out', 'in' or None: the whole message, case-insensitive, trimmed of spaces and punctuation."""
    word = (body or "").strip().strip(_TRIM).upper()
    if word in OPT_OUT_KEYWORDS:
        return "out"
    if word in OPT_IN_KEYWORDS:
        return "in"
    return None


def phone_opt_out(
    ledger: Ledger,
    *,
    organization_id: int,
    phone: str,
    source: str,
    conversation: Conversation | None = None,
    message: Message | None = None,
) -> OptOutEvent:
    OptOut.objects.bulk_create(
        [OptOut(organization_id=organization_id, phone=phone, source=source, conversation=conversation, created_at=ledger.now)],
        ignore_conflicts=True,
    )
    event = OptOutEvent.objects.create(
        organization_id=organization_id,
        phone=phone,
        kind=OptOutEvent.Kind.OUT,
        source=source,
        conversation=conversation,
        message=message,
        created_at=ledger.now,
    )
    for conv in ledger.lock_phone(organization_id, phone):
        conv.contact_opted_out = True
        if conversation is not None and conv.id == conversation.id and conv.opted_out_at is None:
            conv.opted_out_at = ledger.now
    opt_out_recorded.send(sender=OptOutEvent, event=event)
    return event


def phone_opt_in(
    ledger: Ledger, *, organization_id: int, phone: str, conversation: Conversation | None = None, message: Message | None = None
) -> OptOutEvent | None:
    deleted, _ = OptOut.objects.filter(organization_id=organization_id, phone=phone).delete()
    if not deleted:
        return None
    event = OptOutEvent.objects.create(
        organization_id=organization_id,
        phone=phone,
        kind=OptOutEvent.Kind.IN,
        source="keyword",
        conversation=conversation,
        message=message,
        created_at=ledger.now,
    )
    for conv in ledger.lock_phone(organization_id, phone):
        conv.contact_opted_out = False
    return event


def phone_is_opted_out(organization_id: int, phone: str) -> bool:
    return OptOut.objects.filter(organization_id=organization_id, phone=phone).exists()
