"""Writing the outbox: the rows a conversation's current answers call for, reconciled with the
rows already there, in the caller's transaction, with the summary counters moved alike.

A row is keyed by (conversation, source, connection, payload hash). Rows still waiting
(pending, failed, skipped) that the answers or mappings no longer call for are removed;
synced and in-flight rows are history and stay. A row that exists keeps its state, so filing
the same answers again never sends them again.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection as db
from django.utils import timezone

from actions.models import Action, Conversation
from orgs.db import is_postgres
from p2p_admin.queueing import enqueue_on_commit

from ..counters import SyncCounts
from ..models import CrmConnection, SyncItem, SyncMapping
from ..sources import action_sources

CHUNK = 500
# pg_advisory_xact_lock(namespace, action): writers of answers share it, a mapping change takes it
# alone, so a report filed during a mapping change is never written against the old mapping.
LOCK_NAMESPACE = 0x44534E43
NO_PERSON_ID = {CrmConnection.Kind.VAN: "no VAN id", CrmConnection.Kind.PDI: "no PDI id"}
INSERT_FIELDS = (
    "organization",
    "action",
    "conversation",
    "contact",
    "connection",
    "source",
    "target",
    "target_label",
    "person_id",
    "status",
    "skip_reason",
    "payload_hash",
    "attempts",
    "not_before",
    "last_error",
    "recorded_at",
    "updated_at",
)


@dataclass
class Answers:
    """A conversation (contact loaded) and its current values: source -> when it was recorded."""

    conversation: Conversation
    values: dict[str, datetime] = field(default_factory=dict)


def action_lock(action_id: int, *, shared: bool) -> None:
    if not is_postgres():
        return  # SQLite (the demo) writes one transaction at a time anyway
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {fn}(%s, %s)", [LOCK_NAMESPACE, action_id % 2147483647])


def payload_hash(*, action_id: int, connection_id: int, person: str, target: dict) -> str:
    text = json.dumps([action_id, connection_id, person, target], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def mappings_by_source(action: Action) -> dict[str, list[SyncMapping]]:
    found: dict[str, list[SyncMapping]] = {}
    for mapping in SyncMapping.objects.filter(action=action).select_related("connection").order_by("id"):
        found.setdefault(mapping.source, []).append(mapping)
    return found


def _wanted(action: Action, answers: Answers, mappings: dict, tracked: set[str], now: datetime) -> Iterable[SyncItem]:
    conv = answers.conversation
    contact = conv.contact
    common = dict(
        organization_id=conv.organization_id,
        action_id=action.id,
        conversation_id=conv.id,
        contact_id=contact.id,
        attempts=0,
        not_before=now,
        last_error="",
        updated_at=now,
    )
    for source, recorded_at in sorted(answers.values.items()):
        found = mappings.get(source, [])
        if not found and source in tracked:
            yield SyncItem(
                **common,
                source=source,
                status=SyncItem.Status.SKIPPED,
                skip_reason=SyncItem.SKIP_NO_MAPPING,
                recorded_at=recorded_at,
            )
        for mapping in found:
            person = getattr(contact, mapping.connection.person_field)
            yield SyncItem(
                **common,
                source=source,
                connection_id=mapping.connection_id,
                target=mapping.target,
                target_label=mapping.label,
                person_id=person,
                status=SyncItem.Status.PENDING if person else SyncItem.Status.SKIPPED,
                skip_reason="" if person else NO_PERSON_ID[mapping.connection.kind],
                payload_hash=payload_hash(
                    action_id=action.id,
                    connection_id=mapping.connection_id,
                    person=person or f"contact:{contact.id}",
                    target=mapping.target,
                ),
                recorded_at=recorded_at,
            )


def _key(row) -> tuple:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return (get("conversation_id"), get("source"), get("connection_id"), get("payload_hash"))


def _delete(ids: list[int]) -> list[tuple]:
    """Delete rows still waiting; answers (id, action_id, source, status, last_error) of those deleted."""
    deleted = []
    table = db.ops.quote_name(SyncItem._meta.db_table)
    waiting = [str(s) for s in SyncItem.REPLACEABLE]
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        with db.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))})"
                f" AND status IN ({', '.join(['%s'] * len(waiting))}) RETURNING id, action_id, source, status, last_error",
                [*part, *waiting],
            )
            deleted += cursor.fetchall()
    return deleted


def _insert(items: list[SyncItem]) -> list[tuple]:
    """INSERT … ON CONFLICT DO NOTHING; answers (action_id, source, status, connection_id) of rows added."""
    fields = [SyncItem._meta.get_field(name) for name in INSERT_FIELDS]
    qn = db.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    added = []
    for start in range(0, len(items), CHUNK):
        part = items[start : start + CHUNK]
        params = [f.get_db_prep_save(getattr(item, f.attname), db) for item in part for f in fields]
        with db.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(SyncItem._meta.db_table)} ({columns}) VALUES {', '.join([row_sql] * len(part))}"
                " ON CONFLICT DO NOTHING RETURNING action_id, source, status, connection_id",
                params,
            )
            added += cursor.fetchall()
    return added


def send_after_commit(connection_ids: Iterable[int]) -> None:
    from ..tasks import datasync_send

    for connection_id in sorted(set(connection_ids)):
        enqueue_on_commit(datasync_send, (connection_id,))  # or the datasync sweep, should the broker be away


def outbox_reconcile(*, action: Action, answers: list[Answers], scope: set[str] | None = None) -> None:
    """Make the rows of these conversations (only `scope`'s sources, if given) match their answers."""
    if not answers:
        return
    now = timezone.now()
    mappings = mappings_by_source(action)
    tracked = set(action_sources(action))
    wanted = [
        item for a in answers for item in _wanted(action, a, mappings, tracked, now) if scope is None or item.source in scope
    ]
    existing = SyncItem.objects.filter(conversation_id__in=[a.conversation.id for a in answers])
    if scope is not None:
        existing = existing.filter(source__in=scope)
    existing = list(existing.values("id", "conversation_id", "source", "connection_id", "payload_hash", "status"))
    wanted_keys = {_key(w) for w in wanted}
    stale = [e["id"] for e in existing if e["status"] in SyncItem.REPLACEABLE and _key(e) not in wanted_keys]
    counts = SyncCounts()
    gone = set()
    for item_id, action_id, source, status, last_error in _delete(stale):
        counts.add(action_id=action_id, source=source, status=status, last_error=last_error, sign=-1)
        gone.add(item_id)
    kept = {_key(e) for e in existing if e["id"] not in gone}
    to_send = []
    for action_id, source, status, connection_id in _insert([w for w in wanted if _key(w) not in kept]):
        counts.add(action_id=action_id, source=source, status=status)
        if status == SyncItem.Status.PENDING:
            to_send.append(connection_id)
    counts.write()
    send_after_commit(to_send)
