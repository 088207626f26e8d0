"""The unit of work every writer uses: lock the conversations it touches (in id order, so
writers never deadlock each other), change them in Python, then `commit()` saves what
changed and moves the aggregates by exactly the difference, in the caller's transaction."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from actions.models import Conversation, Message
from orgs.db import bulk_update_values

from .contrib import ConvState, Deltas, MsgState, conversation_contrib, message_contrib, refresh_needs_attention
from .stats import stats_write

CONVERSATION_STATE_FIELDS = (
    "assigned_user_id",
    "has_initial",
    "inbound_count",
    "report_count",
    "latest_report_id",
    "last_inbound_at",
    "last_outbound_at",
    "last_outbound_ok_at",
    "last_message_at",
    "opted_out_at",
    "contact_opted_out",
    "needs_attention",
    "needs_attention_since",
    "last_error_code",
)


def _snapshot(c: Conversation) -> tuple:
    return tuple(getattr(c, f) for f in CONVERSATION_STATE_FIELDS)


class Ledger:
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        self.deltas = Deltas()
        self.conversations: dict[int, Conversation] = {}
        self._before: dict[int, tuple[tuple, ConvState]] = {}
        self._values: dict[int, tuple[tuple, tuple]] = {}
        self._messages: list[tuple[Message, MsgState | None]] = []

    # -- conversations ---------------------------------------------------------------

    def lock(self, ids: Iterable[int]) -> dict[int, Conversation]:
        wanted = set(ids)
        self._load(Q(id__in=wanted - self.conversations.keys()))
        return {i: self.conversations[i] for i in wanted if i in self.conversations}

    def lock_one(self, conversation_id: int) -> Conversation:
        return self.lock([conversation_id])[conversation_id]

    def lock_phone(self, organization_id: int, phone: str) -> list[Conversation]:
        """Every conversation of the organization's contact with this phone, in any action."""
        found = self._load(Q(contact__organization_id=organization_id, contact__phone=phone))
        return [self.conversations[i] for i in sorted(found)]

    def _load(self, where: Q) -> set[int]:
        rows = Conversation.objects.select_related("contact").filter(where).order_by("id").select_for_update(of=("self",))
        found = set()
        for c in rows:
            found.add(c.id)
            if c.id not in self.conversations:
                self.conversations[c.id] = c
                self._before[c.id] = (_snapshot(c), ConvState.of(c))
        return found

    def set_report_values(self, conversation: Conversation, before: tuple, after: tuple) -> None:
        first = self._values.get(conversation.id, (before, before))[0]
        self._values[conversation.id] = (first, after)

    # -- messages --------------------------------------------------------------------

    def track_message(self, message: Message) -> None:
        """Call before changing an existing message, or after creating a new one."""
        self._messages.append((message, MsgState.of(message) if message.pk and not message._state.adding else None))

    def add_new_message(self, message: Message) -> None:
        message_contrib(MsgState.of(message), self.deltas, +1)

    # -- commit ----------------------------------------------------------------------

    def commit(self) -> None:
        changed = []
        for cid, conv in self.conversations.items():
            refresh_needs_attention(conv, self.now)
            snap_before, state_before = self._before[cid]
            values_before, values_after = self._values.get(cid, ((), ()))
            state_after = ConvState.of(conv, values_after)
            state_before = ConvState(**{**state_before.__dict__, "latest_report_values": values_before})
            if state_after != state_before:
                conversation_contrib(state_before, self.deltas, -1)
                conversation_contrib(state_after, self.deltas, +1)
            if _snapshot(conv) != snap_before:
                changed.append(conv)
        if changed:
            fields = [f.removesuffix("_id") if f.endswith("_id") else f for f in CONVERSATION_STATE_FIELDS]
            bulk_update_values(Conversation, changed, fields)
        for message, before in self._messages:
            after = MsgState.of(message)
            if after != before:
                if before is not None:
                    message_contrib(before, self.deltas, -1)
                message_contrib(after, self.deltas, +1)
        stats_write(self.deltas)
        for cid, conv in self.conversations.items():
            self._before[cid] = (_snapshot(conv), ConvState.of(conv))
        self._values.clear()
        self._messages.clear()
        self.deltas = Deltas()
