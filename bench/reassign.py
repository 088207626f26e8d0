"""Re-assignment cost: moving 100,000 conversations in one POST /api/v1/actions/<id>/reassignments/
(locks in id order, one UPDATE, the moves logged for undo, the holder deltas summed in SQL,
the aggregates written, the audit record), side by side with the physical limit (one bare
UPDATE of the same rows) and the naive alternative (the Ledger loading every row into
Python). Also the number of queries for 1,000 and for 100,000 moved (it must not grow).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p_engagement_bench .venv/bin/python bench/reassign.py [--conversations 100000]

The data is written set-based into a fresh organization, vacuumed between runs, and deleted
at the end. Aggregates are checked equal to a recount before the cleanup.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_admin.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/p2p_engagement_bench")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from actions.models import Action, Conversation  # noqa: E402
from actions.services.actions import action_send_to_users  # noqa: E402
from engagement.services.moves import _move_ledger  # noqa: E402
from orgs.models import Membership, Organization  # noqa: E402
from orgs.services import member_create  # noqa: E402
from reporting.contrib import Deltas  # noqa: E402
from reporting.recompute import recompute_stats  # noqa: E402

CONV = Conversation._meta.db_table


def build(n: int) -> tuple[Action, list, APIClient]:
    """An action whose n conversations Ann holds, in a realistic mix of states."""
    org = Organization.objects.create(name=f"bench reassign {time.time_ns()}")
    admin = member_create(organization=org, email=f"admin{org.id}@bench.local", password="x" * 12, role=Membership.Role.ADMIN)
    ann, bob = (member_create(organization=org, email=f"{who}{org.id}@bench.local", password="x" * 12) for who in ("ann", "bob"))
    action = Action.objects.create(organization=org, name="bench", initial_script="Hi", status=Action.Status.LIVE)
    with transaction.atomic():
        action_send_to_users(action=action, user_ids=[ann.id, bob.id])
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO actions_contact (organization_id, phone, first_name, last_name, van_id, pdi_id, attributes, created_at)"
            " SELECT %s, '+1555' || lpad(g::text, 7, '0'), 'F', 'L', '', '', '{}', now() FROM generate_series(1, %s) g",
            [org.id, n],
        )
        # Every 3rd unsent, every 4th with a reply, every 8th of those reported, every 50th opted out.
        cur.execute(
            f"""INSERT INTO {CONV} (organization_id, action_id, contact_id, assigned_user_id, created_at, has_initial,
                inbound_count, report_count, contact_opted_out, needs_attention, opted_out_at,
                last_outbound_at, last_outbound_ok_at, last_inbound_at, last_message_at)
            SELECT c.organization_id, %s, c.id, %s, now(), s.sent, s.replies, s.reports, s.opted, false,
                   CASE WHEN s.opted THEN now() END,
                   CASE WHEN s.sent THEN now() - interval '2 hours' END, CASE WHEN s.sent THEN now() - interval '2 hours' END,
                   CASE WHEN s.replies > 0 THEN now() - interval '1 hour' END, now()
            FROM actions_contact c
            CROSS JOIN LATERAL (SELECT c.id %% 3 <> 0 AS sent,
                                       CASE WHEN c.id %% 3 <> 0 AND c.id %% 4 = 0 THEN 1 ELSE 0 END AS replies,
                                       CASE WHEN c.id %% 32 = 0 AND c.id %% 3 <> 0 THEN 1 ELSE 0 END AS reports,
                                       c.id %% 50 = 0 AS opted) s
            WHERE c.organization_id = %s""",
            [action.id, ann.id, org.id],
        )
    # The derived columns and every aggregate row, as the writers would have kept them.
    recompute_stats(action)
    token, _ = Token.objects.get_or_create(user=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return action, [ann, bob], client


def vacuum() -> None:
    with connection.cursor() as cur:
        cur.execute(f"VACUUM ANALYZE {CONV}")


def api_move(client: APIClient, action: Action, source, target, **extra) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        r = client.post(
            f"/api/v1/actions/{action.id}/reassignments/",
            {"from_user": source.id, "to_user": target.id, "scope": "all", **extra},
            format="json",
        )
        elapsed = time.perf_counter() - started
    assert r.status_code == 201, r.content
    return elapsed, r.json()["moved"], len(ctx.captured_queries)


def bare_update(action: Action, source, target) -> tuple[float, int]:
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {CONV} SET assigned_user_id = %s WHERE action_id = %s AND assigned_user_id = %s",
            [target.id, action.id, source.id],
        )
        count = cur.rowcount
    return time.perf_counter() - started, count


def ledger_move(action: Action, source, target, limit: int) -> float:
    """The naive alternative, on `limit` rows: load, change and diff each row in Python."""
    ids = list(
        Conversation.objects.filter(action=action, assigned_user=source).order_by("id").values_list("id", flat=True)[:limit]
    )
    started = time.perf_counter()
    with transaction.atomic():
        _move_ledger(Conversation.objects.filter(id__in=ids), [target.id], None, Deltas())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    n = args.conversations
    print(f"building {n:,} conversations …", flush=True)
    action, (ann, bob), client = build(n)
    try:
        ours, bare, queries = [], [], set()
        for _ in range(args.rounds):
            # Each round moves all n rows with the API, then the same n rows back with a bare UPDATE.
            vacuum()
            elapsed, moved, count = api_move(client, action, ann, bob)
            assert moved == n, moved
            ours.append(elapsed)
            queries.add(count)
            vacuum()
            elapsed, updated = bare_update(action, bob, ann)
            assert updated == n, updated
            bare.append(elapsed)
        recompute_stats(action)  # the bare UPDATEs skipped the aggregates: rebuild before going on
        vacuum()
        again = api_move(client, action, ann, bob)  # all of them once more, for the recount check below
        assert recompute_stats(action) == [], "re-assignment left the aggregates off a recount"
        few_ids = Conversation.objects.filter(action=action).order_by("id").values_list("id", flat=True)[999]
        Conversation.objects.filter(action=action, id__gt=few_ids).update(assigned_user=ann)
        recompute_stats(action)
        vacuum()
        _, moved_few, queries_few = api_move(client, action, bob, ann)
        naive_rows = min(n, 10_000)
        vacuum()
        naive = ledger_move(action, ann, bob, naive_rows) * n / naive_rows
        assert recompute_stats(action) == []
    finally:
        Organization.objects.filter(pk=action.organization_id).delete()

    ours_s, bare_s = statistics.median(ours), statistics.median(bare)
    print(f"re-assign {n:,} conversations, one API request (median of {args.rounds}): {ours_s * 1000:8.0f} ms")
    print(f"bare UPDATE of the same rows (physical limit):                {bare_s * 1000:8.0f} ms")
    print(f"ratio request / bare UPDATE:                                  {ours_s / bare_s:8.2f}   (goal ≤ 2)")
    print(
        f"naive Ledger path, extrapolated from {naive_rows:,} rows:           {naive * 1000:8.0f} ms  ({naive / ours_s:.1f}x ours)"
    )
    print(
        f"queries per request: {sorted(queries)} for {n:,} moved, {queries_few} for {moved_few:,} moved, {again[2]} again for {again[1]:,}"
    )


if __name__ == "__main__":
    main()
