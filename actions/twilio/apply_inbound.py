"""Inbound texts of one applier batch. Each belongs to the conversation with the latest
outbound message to that phone in the organization (read under the conversations' locks),
or to none when the organization never texted the phone; opt-out and opt-in keywords act
organization-wide (CONTRACT §4)."""

from collections import defaultdict

from django.db.models import Q

from actions.models import Contact, Conversation, Message, OptOut
from actions.services.optouts import keyword_of, phone_opt_in, phone_opt_out
from reporting.ledger import Ledger


def _sender(event) -> str:
    return event.payload["From"].strip()


class InboundEvents:
    def __init__(self, events: list) -> None:
        self.events = events
        phones = defaultdict(set)
        for e in events:
            phones[e.organization_id].add(_sender(e))
        where = Q()
        for org, numbers in phones.items():
            where |= Q(organization_id=org, phone__in=numbers)
        self.contacts = {(o, p): cid for o, p, cid in Contact.objects.filter(where).values_list("organization_id", "phone", "id")}
        # Every conversation of those contacts is locked: the latest-outbound match is read
        # under lock, and an opt-out keyword touches all of them anyway.
        self.conversation_ids = set(
            Conversation.objects.filter(contact_id__in=self.contacts.values()).values_list("id", flat=True)
        )
        self.known_sids = set(
            Message.objects.filter(twilio_sid__in={e.message_sid for e in events}).values_list("twilio_sid", flat=True)
        )
        self.phones = where

    def apply(self, ledger: Ledger) -> None:
        # Read under the conversations' locks (an opt-out of these phones waits for them); a
        # START from a phone that is not opted out then needs no write attempt.
        self.opted_out = set(OptOut.objects.filter(self.phones).values_list("organization_id", "phone"))
        by_contact = defaultdict(list)
        for cid in self.conversation_ids & ledger.conversations.keys():
            conv = ledger.conversations[cid]
            if conv.last_outbound_at is not None:
                by_contact[conv.contact_id].append(conv)
        created = []
        for e in self.events:
            if e.message_sid in self.known_sids:
                continue
            self.known_sids.add(e.message_sid)
            phone = _sender(e)
            candidates = by_contact.get(self.contacts.get((e.organization_id, phone)), [])
            conv = max(candidates, key=lambda c: (c.last_outbound_at, c.id), default=None)
            message = Message(
                organization_id=e.organization_id,
                action_id=conv.action_id if conv else None,
                conversation=conv,
                phone=phone,
                direction=Message.Direction.INBOUND,
                kind=Message.Kind.INBOUND,
                body=e.payload.get("Body") or "",
                twilio_sid=e.message_sid,
                status="received",
                created_at=e.received_at,
                status_updated_at=ledger.now,
            )
            if conv is not None:
                conv.inbound_count += 1
                conv.last_inbound_at = max(filter(None, [conv.last_inbound_at, message.created_at]))
                conv.last_message_at = max(filter(None, [conv.last_message_at, message.created_at]))
            created.append(message)
        if not created:
            return
        _set_reply_to_script(created)
        Message.objects.bulk_create(created)
        for message in created:
            ledger.add_new_message(message)
        for message in created:
            self._apply_keyword(ledger, message)

    def _apply_keyword(self, ledger: Ledger, message: Message) -> None:
        keyword = keyword_of(message.body)
        key = (message.organization_id, message.phone)
        where = {"organization_id": message.organization_id, "phone": message.phone}
        if keyword == "out":
            phone_opt_out(ledger, **where, source=OptOut.Source.KEYWORD, conversation=message.conversation, message=message)
            self.opted_out.add(key)
        elif keyword == "in" and key in self.opted_out:
            phone_opt_in(ledger, **where, conversation=message.conversation, message=message)
            self.opted_out.discard(key)


def _set_reply_to_script(messages: list[Message]) -> None:
    """An inbound text answers the latest outbound text of its conversation sent before it."""
    convs = {m.conversation_id for m in messages if m.conversation_id}
    if not convs:
        return
    outbound = defaultdict(list)
    rows = Message.objects.filter(
        conversation_id__in=convs, direction=Message.Direction.OUTBOUND, created_at__lte=max(m.created_at for m in messages)
    ).values_list("conversation_id", "created_at", "id", "response_script")
    for conv_id, created_at, mid, script in rows:
        outbound[conv_id].append((created_at, mid, script))
    for m in messages:
        earlier = [row for row in outbound.get(m.conversation_id, []) if row[0] <= m.created_at]
        if earlier:
            m.reply_to_script = max(earlier)[2]
