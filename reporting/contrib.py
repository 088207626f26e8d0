"""What each fact contributes to the aggregates: CONTRACT §4, written once.

Every writer computes `contribution(after) - contribution(before)` for the rows it changes
and hands the sum to `reporting.stats.stats_write`, so a figure can only ever move by what
really changed. reporting.recompute counts the same definitions straight from the raw
tables in SQL; the property tests hold the two equal.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from actions.models import ActionRecipient, Conversation, Message

from .models import ANSWER_BUCKETS

Key = tuple


class Deltas:
    """Counter deltas keyed by aggregate row: ("action", a), ("user", a, u), ("hour", a, h),
    ("error", a, code), ("breakdown", a, kind, key, value)."""

    def __init__(self) -> None:
        self.rows: dict[Key, Counter] = defaultdict(Counter)

    def add(self, key: Key, sign: int = 1, **counts: int) -> None:
        row = self.rows[key]
        for name, value in counts.items():
            if value:
                row[name] += sign * int(value)

    def merge(self, other: "Deltas") -> None:
        for key, row in other.rows.items():
            self.rows[key].update(row)

    def nonzero(self) -> dict[Key, dict[str, int]]:
        out = {}
        for key, row in self.rows.items():
            clean = {k: v for k, v in row.items() if v}
            if clean:
                out[key] = clean
        return out

    def __bool__(self) -> bool:
        return bool(self.nonzero())


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


# --- conversations -------------------------------------------------------------------


@dataclass(frozen=True)
class ConvState:
    action_id: int
    assigned_user_id: int | None
    has_initial: bool
    inbound_count: int
    report_count: int
    last_inbound_at: datetime | None
    last_outbound_ok_at: datetime | None
    opted_out_at: datetime | None
    contact_opted_out: bool
    latest_report_values: tuple = ()

    @classmethod
    def new(cls, action_id: int, assigned_user_id: int | None) -> "ConvState":
        """A conversation just added to an action: unsent, nothing happened yet."""
        return cls(action_id, assigned_user_id, False, 0, 0, None, None, None, False)

    @classmethod
    def of(cls, c: Conversation, latest_report_values: tuple = ()) -> "ConvState":
        return cls(
            action_id=c.action_id,
            assigned_user_id=c.assigned_user_id,
            has_initial=c.has_initial,
            inbound_count=c.inbound_count,
            report_count=c.report_count,
            last_inbound_at=c.last_inbound_at,
            last_outbound_ok_at=c.last_outbound_ok_at,
            opted_out_at=c.opted_out_at,
            contact_opted_out=c.contact_opted_out,
            latest_report_values=latest_report_values,
        )


def needs_attention(s: ConvState) -> bool:
    if s.contact_opted_out or s.inbound_count == 0:
        return False
    latest_is_inbound = s.last_outbound_ok_at is None or (
        s.last_inbound_at is not None and s.last_inbound_at >= s.last_outbound_ok_at
    )
    return latest_is_inbound or s.report_count == 0


def conversation_contrib(s: ConvState, deltas: Deltas, sign: int) -> None:
    responded = s.inbound_count > 0
    figures = {
        "reports_available": responded,
        "reports_filled": responded and s.report_count > 0,
        "opt_outs": s.opted_out_at is not None,
        "messages_remaining": not s.has_initial and not s.contact_opted_out,
        "needs_attention": needs_attention(s),
    }
    deltas.add(("action", s.action_id), sign, conversations=1, **figures)
    if s.assigned_user_id is not None:
        deltas.add(
            ("user", s.action_id, s.assigned_user_id),
            sign,
            held=1,
            unsent=figures["messages_remaining"],
            responses=s.inbound_count,
            opt_outs=figures["opt_outs"],
            needs_attention=figures["needs_attention"],
            reports_available=figures["reports_available"],
            reports_filled=figures["reports_filled"],
        )
    if s.opted_out_at is not None:
        deltas.add(("hour", s.action_id, hour_of(s.opted_out_at)), sign, opt_outs=1)
    for kind, key, value in s.latest_report_values:
        deltas.add(("breakdown", s.action_id, kind, key, value), sign, count=1)


def report_values(tags: list, custom_fields: dict) -> tuple:
    """The breakdown entries of a conversation's latest report."""
    values = [("tag", str(t), "") for t in tags]
    values += [("field", str(k), str(v)) for k, v in custom_fields.items() if v not in (None, "")]
    return tuple(sorted(set(values)))


def refresh_needs_attention(conversation: Conversation, now: datetime) -> None:
    flag = needs_attention(ConvState.of(conversation))
    if flag and not conversation.needs_attention:
        conversation.needs_attention_since = now
    elif not flag:
        conversation.needs_attention_since = None
    conversation.needs_attention = flag


# --- messages ------------------------------------------------------------------------


@dataclass(frozen=True)
class MsgState:
    action_id: int | None
    sender_id: int | None
    direction: str
    kind: str
    status: str
    error_code: int | None
    accepted: bool
    created_at: datetime
    response_script: str
    reply_to_script: str
    answer_seconds: int | None = None

    @classmethod
    def of(cls, m: Message) -> "MsgState":
        return cls(
            action_id=m.action_id,
            sender_id=m.sent_by_id,
            direction=m.direction,
            kind=m.kind,
            status=m.status,
            error_code=m.error_code,
            accepted=m.accepted,
            created_at=m.created_at,
            response_script=m.response_script,
            reply_to_script=m.reply_to_script,
            answer_seconds=m.answer_seconds,
        )


def answer_bucket(seconds: int) -> str:
    return next(name for name, bound in ANSWER_BUCKETS if bound is None or seconds <= bound)


def is_carrier_filtered(status: str, error_code: int | None) -> bool:
    return status in Message.FAILED_STATUSES and error_code in Message.CARRIER_FILTERING_CODES


def is_twilio_error(status: str, error_code: int | None) -> bool:
    return status in Message.FAILED_STATUSES and error_code not in Message.CARRIER_FILTERING_CODES


@lru_cache(maxsize=512)
def outbound_figures(kind: str, status: str, error_code: int | None, accepted: bool) -> dict[str, bool]:
    return {
        "initial_messages": accepted and kind == Message.Kind.INITIAL,
        "follow_ups": accepted and kind == Message.Kind.FOLLOW_UP,
        "twilio_errors": is_twilio_error(status, error_code),
        "carrier_filtering": is_carrier_filtered(status, error_code),
        "delivered": status in Message.DELIVERED_STATUSES,
    }


@lru_cache(maxsize=4096)
def _status_change(kind: str, accepted: bool, old: tuple, new: tuple) -> tuple[tuple[str, int], ...]:
    before, after = outbound_figures(kind, *old, accepted), outbound_figures(kind, *new, accepted)
    return tuple((name, int(after[name]) - int(before[name])) for name in after if after[name] != before[name])


def message_status_change(m: MsgState, status: str, error_code: int | None, deltas: Deltas) -> None:
    """The same as message_contrib(m with the new status, +1) - message_contrib(m, -1) for an
    outbound text whose status and error code alone change: the applier's hot path."""
    if m.action_id is None or m.direction == Message.Direction.INBOUND:
        return
    change = dict(_status_change(m.kind, m.accepted, (m.status, m.error_code), (status, error_code)))
    if change:
        deltas.add(("action", m.action_id), 1, **change)
        deltas.add(("hour", m.action_id, hour_of(m.created_at)), 1, **change)
        if m.sender_id is not None:
            deltas.add(("user", m.action_id, m.sender_id), 1, **change)
    was_failed, is_failed = m.status in Message.FAILED_STATUSES, status in Message.FAILED_STATUSES
    if was_failed and (not is_failed or (m.error_code or 0) != (error_code or 0)):
        deltas.add(("error", m.action_id, m.error_code or 0), -1, count=1)
    if is_failed and (not was_failed or (m.error_code or 0) != (error_code or 0)):
        deltas.add(("error", m.action_id, error_code or 0), 1, count=1)


def message_contrib(m: MsgState, deltas: Deltas, sign: int) -> None:
    if m.action_id is None:
        return  # an inbound text from a number we never texted belongs to no action
    hour = ("hour", m.action_id, hour_of(m.created_at))
    if m.direction == Message.Direction.INBOUND:
        deltas.add(("action", m.action_id), sign, responses=1)
        deltas.add(hour, sign, responses=1)
        if m.reply_to_script:
            deltas.add(("breakdown", m.action_id, "script_replies", m.reply_to_script, ""), sign, count=1)
        return
    failed = m.status in Message.FAILED_STATUSES
    figures = outbound_figures(m.kind, m.status, m.error_code, m.accepted)
    deltas.add(("action", m.action_id), sign, **figures)
    deltas.add(hour, sign, **figures)
    if m.sender_id is not None:
        deltas.add(("user", m.action_id, m.sender_id), sign, **figures)
        if m.answer_seconds is not None:
            deltas.add(("user", m.action_id, m.sender_id), sign, **{answer_bucket(m.answer_seconds): 1})
    if failed:
        deltas.add(("error", m.action_id, m.error_code or 0), sign, count=1)
    if m.response_script:
        deltas.add(("breakdown", m.action_id, "script_uses", m.response_script, ""), sign, count=1)


# --- recipients (Overview) -----------------------------------------------------------


def recipient_contrib(r: ActionRecipient | None, action_id: int, deltas: Deltas, sign: int) -> None:
    if r is None:
        return
    deltas.add(
        ("action", action_id),
        sign,
        sent_to=1,
        seen=r.seen_at is not None or r.started_at is not None,
        started=r.started_at is not None,
        completed=r.completions > 0,
        performs=r.completions,
    )
