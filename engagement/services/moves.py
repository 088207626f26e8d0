"""Moving conversations to other holders, set-based, with the aggregates kept exact.

The conversation figures of reporting.ActionUserStats follow the holder (reporting.contrib
conversation_contrib), so a move takes each moved conversation's contribution off the old
holder's row and puts it on the new one's. On PostgreSQL that is one statement however many
rows move: lock the selection in id order, UPDATE it, log the moves and sum the
contributions per (old, new) holder from the UPDATE's RETURNING. The SQL sums restate
conversation_contrib's user figures; engagement/tests hold them equal to recompute_stats.
"""

from django.db import connection
from django.db.models import QuerySet

from actions.models import Conversation
from engagement.models import ReassignmentMove
from orgs.db import is_postgres
from reporting.contrib import Deltas
from reporting.ledger import Ledger
from reporting.stats import stats_write

FIGURES = (
    "held",
    "unsent",
    "responses",
    "opt_outs",
    "needs_attention",
    "reports_available",
    "reports_filled",
)
_SUMS = """
    count(*),
    count(*) FILTER (WHERE NOT has_initial AND NOT contact_opted_out),
    coalesce(sum(inbound_count), 0),
    count(*) FILTER (WHERE opted_out_at IS NOT NULL),
    count(*) FILTER (WHERE needs_attention),
    count(*) FILTER (WHERE inbound_count > 0),
    count(*) FILTER (WHERE inbound_count > 0 AND report_count > 0)
"""


def conversations_move(
    *, selection: QuerySet[Conversation], action_id: int, to_user_ids: list[int], reassignment_id: int | None, deltas: Deltas
) -> int:
    """Give the selected conversations to `to_user_ids`, round robin in id order, and log
    each move under `reassignment_id` when given. The holder deltas are written together
    with the caller's pending `deltas` (e.g. new recipients). Call inside a transaction;
    returns how many moved."""
    if is_postgres():
        return _move_sql(selection, action_id, to_user_ids, reassignment_id, deltas)
    return _move_ledger(selection, to_user_ids, reassignment_id, deltas)


def _move_sql(selection: QuerySet, action_id: int, to_user_ids: list[int], reassignment_id: int | None, deltas: Deltas) -> int:
    locked = selection.order_by("id").select_for_update(of=("self",)).values_list("id", "assigned_user_id")
    locked_sql, locked_params = locked.query.sql_with_params()
    qn = connection.ops.quote_name
    conversations = qn(Conversation._meta.db_table)
    moves = qn(ReassignmentMove._meta.db_table)
    log = (
        f", logged AS (INSERT INTO {moves} (reassignment_id, conversation_id, to_user_id) SELECT %s, id, new_user FROM moved)"
        if reassignment_id is not None
        else ""
    )
    sql = f"""
        WITH locked (id, old_user) AS ({locked_sql}),
        plan AS (
            SELECT id, old_user,
                   (%s::bigint[])[mod(row_number() OVER (ORDER BY id) - 1, %s) + 1] AS new_user
            FROM locked
        ),
        moved AS (
            UPDATE {conversations} AS c SET assigned_user_id = plan.new_user
            FROM plan WHERE c.id = plan.id
            RETURNING c.id, plan.old_user, plan.new_user, c.has_initial, c.contact_opted_out,
                      c.inbound_count, c.report_count, c.opted_out_at, c.needs_attention
        ){log}
        SELECT old_user, new_user, {_SUMS} FROM moved GROUP BY old_user, new_user
    """
    params = [*locked_params, list(to_user_ids), len(to_user_ids)]
    if reassignment_id is not None:
        params.append(reassignment_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        groups = cursor.fetchall()
    moved = 0
    for old_user, new_user, *sums in groups:
        figures = dict(zip(FIGURES, sums, strict=True))
        if old_user is not None:
            deltas.add(("user", action_id, old_user), -1, **figures)
        deltas.add(("user", action_id, new_user), +1, **figures)
        moved += figures["held"]
    stats_write(deltas)
    return moved


def _move_ledger(selection: QuerySet, to_user_ids: list[int], reassignment_id: int | None, deltas: Deltas) -> int:
    """The portable path (the SQLite demo): the same move through the Ledger."""
    ledger = Ledger()
    ledger.deltas.merge(deltas)
    convs = ledger.lock(selection.values_list("id", flat=True))
    ids = sorted(convs)
    for i, cid in enumerate(ids):
        convs[cid].assigned_user_id = to_user_ids[i % len(to_user_ids)]
    if reassignment_id is not None:
        ReassignmentMove.objects.bulk_create(
            [
                ReassignmentMove(reassignment_id=reassignment_id, conversation_id=cid, to_user_id=convs[cid].assigned_user_id)
                for cid in ids
            ],
            batch_size=500,
        )
    ledger.commit()
    return len(ids)
