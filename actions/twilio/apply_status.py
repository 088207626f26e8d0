"""Status callbacks of one applier batch: each message moves to the highest status its
callbacks name (CONTRACT §4 order), never down, so any order and any repetition of the same
callbacks ends in the same state; the error code goes with the status that won.

This is the hot path (2 or 3 callbacks per text), so it is set-based: message rows are read as
tuples, their figures move by `message_contrib(after) - message_contrib(before)` straight into
the batch's Ledger deltas, and one UPDATE … FROM (VALUES …) writes them. A conversation is only
locked and touched when one of its texts is or becomes failed/undelivered."""

from datetime import datetime

from django.db import connection

from actions.models import Message
from orgs.db import is_postgres
from reporting.contrib import MsgState, message_status_change
from reporting.ledger import Ledger

from . import sql
from .derived import outbound_refresh
from .events import error_code_of
from .sql import any_of

RANK = Message.STATUS_RANK
FAILED = Message.FAILED_STATUSES
CHUNK = 1000
TABLE = Message._meta.db_table
# Column order: _state reads rows in this order.
COLUMNS = "id, conversation_id, action_id, sent_by_id, direction, kind, status, error_code, twilio_sid, created_at, response_script, reply_to_script, answer_seconds"


def _state(row: tuple) -> MsgState:
    """MsgState.of for a row read as a tuple."""
    _, _, action, sender, direction, kind, status, code, sid, created, script, reply_to, answer = row
    return MsgState(action, sender, direction, kind, status, code, bool(sid), created, script, reply_to, answer)


def _touches_conversation(old: str, new: str) -> bool:
    """A failed text moving in, out, or to another failure: the latest ok text or error may change."""
    return old in FAILED or new in FAILED


class StatusEvents:
    """Read before the batch locks anything (to know which conversations to lock), applied after."""

    def __init__(self, events: list) -> None:
        where, params = any_of("twilio_sid", list({e.message_sid for e in events}))
        refs = {
            sid: rest
            for sid, *rest in sql.rows(
                f"SELECT twilio_sid, id, organization_id, conversation_id, direction, status FROM {TABLE} WHERE {where}", params
            )
        }
        self.best: dict[int, object] = {}  # message id -> its highest callback in this batch
        self.parked: list[int] = []  # callbacks for a SID no message of that organization has yet
        current: dict[int, tuple[int | None, str]] = {}
        for e in events:
            ref = refs.get(e.message_sid)
            if ref is None or ref[1] != e.organization_id:
                self.parked.append(e.id)
                continue
            mid, _, conv, direction, status = ref
            if direction != Message.Direction.OUTBOUND:
                continue  # Twilio sends no delivery status for texts it received; nothing to move
            current[mid] = (conv, status)
            if mid not in self.best or RANK[e.status] > RANK[self.best[mid].status]:
                self.best[mid] = e
        # Conversations whose latest successful text may change; locked before the messages.
        self.conversation_ids = {
            conv
            for mid, (conv, status) in current.items()
            if conv is not None
            and RANK[self.best[mid].status] > RANK[status]
            and _touches_conversation(status, self.best[mid].status)
        }

    def apply(self, ledger: Ledger) -> None:
        if not self.best:
            return
        where, params = any_of("id", sorted(self.best))
        lock = " FOR UPDATE" if is_postgres() else ""
        updates, flipped = [], []
        for row in sql.rows(f"SELECT {COLUMNS} FROM {TABLE} WHERE {where} ORDER BY id{lock}", params):
            event = self.best[row[0]]
            if RANK[event.status] <= RANK[row[6]]:
                continue
            code = error_code_of(event.payload)
            message_status_change(_state(row), event.status, code, ledger.deltas)
            updates.append((row[0], event.status, code, (event.payload.get("ErrorMessage") or "")[:1000]))
            if row[1] is not None and _touches_conversation(row[6], event.status):
                flipped.append(row[1])
        _write(updates, ledger.now)
        # Only another applier changes these statuses, so a flip not foreseen is rare; its
        # conversation is locked now (out of order, hence the applier's deadlock retry).
        ledger.lock(set(flipped) - ledger.conversations.keys())
        outbound_refresh(ledger.conversations[c] for c in flipped)


def _write(updates: list[tuple], now: datetime) -> None:
    """One UPDATE … FROM (VALUES …) per chunk (row by row on the SQLite demo)."""
    now = Message._meta.get_field("status_updated_at").get_db_prep_save(now, connection)
    if not is_postgres():
        for mid, status, code, text in updates:
            sql.execute(
                f"UPDATE {TABLE} SET status = %s, error_code = %s, error_message = %s, status_updated_at = %s WHERE id = %s",
                [status, code, text, now, mid],
            )
        return
    for start in range(0, len(updates), CHUNK):
        part = updates[start : start + CHUNK]
        values = ", ".join(["(%s::bigint, %s::varchar, %s::integer, %s::text)"] * len(part))
        sql.execute(
            f"UPDATE {TABLE} AS t SET status = v.s, error_code = v.c, error_message = v.e, status_updated_at = %s"
            f" FROM (VALUES {values}) AS v(id, s, c, e) WHERE t.id = v.id",
            [now, *(value for row in part for value in row)],
        )
