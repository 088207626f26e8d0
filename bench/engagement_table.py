"""The User Engagement table at 5,000 users: a page of GET /api/v1/actions/<id>/engagement/
(sorted by several columns, filtered, with the matching count) side by side with the
physical limit (a bare read of the same page of aggregate rows) and the naive alternative
(counting each user's figures from the conversations at request time). Also the number of
queries at 500 and at 5,000 users (it must not grow).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p_engagement_bench .venv/bin/python bench/engagement_table.py [--users 5000]

The data (users, recipients, 20 conversations a user, aggregates rebuilt from them) is
written set-based into a fresh organization and deleted at the end.
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

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from actions.models import Action, Conversation  # noqa: E402
from orgs.models import Membership, Organization  # noqa: E402
from orgs.services import member_create  # noqa: E402
from reporting.recompute import recompute_stats  # noqa: E402

PER_USER = 20
QUERIES = [
    "ordering=name",
    "ordering=-needs_attention",
    "ordering=-median_answer_seconds",
    "ordering=-last_active&has_unsent=true",
    "status=seen&status=started&q=7&ordering=remaining",
]


def build(users: int) -> tuple[Action, APIClient]:
    org = Organization.objects.create(name=f"bench table {time.time_ns()}")
    admin = member_create(organization=org, email=f"admin{org.id}@bench.local", password="x" * 12, role=Membership.Role.ADMIN)
    action = Action.objects.create(organization=org, name="bench", initial_script="Hi", status=Action.Status.LIVE)
    password = make_password(None)
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO auth_user (username, email, first_name, last_name, password, is_superuser, is_staff, is_active, date_joined)"
            " SELECT 'v' || %s || '-' || g || '@bench.local', 'v' || %s || '-' || g || '@bench.local', 'First' || g, 'Last' || g,"
            " %s, false, false, true, now() FROM generate_series(1, %s) g",
            [org.id, org.id, password, users],
        )
        cur.execute(
            "INSERT INTO orgs_membership (user_id, organization_id, role, created_at)"
            " SELECT id, %s, 'volunteer', now() FROM auth_user WHERE username LIKE %s",
            [org.id, f"v{org.id}-%"],
        )
        # Statuses spread over sent / seen / started / completed; activity over the last week.
        cur.execute(
            """INSERT INTO actions_actionrecipient (organization_id, action_id, user_id, sent_at, seen_at, started_at,
                   first_completed_at, completions, last_active_at)
            SELECT %s, %s, m.user_id, now() - interval '8 days',
                   CASE WHEN m.user_id %% 4 > 0 THEN now() - interval '7 days' END,
                   CASE WHEN m.user_id %% 4 > 1 THEN now() - interval '7 days' END,
                   CASE WHEN m.user_id %% 4 > 2 THEN now() - interval '6 days' END,
                   CASE WHEN m.user_id %% 4 > 2 THEN 1 + m.user_id %% 3 ELSE 0 END,
                   now() - (m.user_id %% 168) * interval '1 hour'
            FROM orgs_membership m WHERE m.organization_id = %s AND m.role = 'volunteer'""",
            [org.id, action.id, org.id],
        )
        cur.execute(
            "INSERT INTO actions_contact (organization_id, phone, first_name, last_name, van_id, pdi_id, attributes, created_at)"
            " SELECT %s, '+1555' || lpad(g::text, 7, '0'), 'F', 'L', '', '', '{}', now() FROM generate_series(1, %s) g",
            [org.id, users * PER_USER],
        )
        cur.execute(
            f"""INSERT INTO {Conversation._meta.db_table} (organization_id, action_id, contact_id, assigned_user_id, created_at,
                   has_initial, inbound_count, report_count, contact_opted_out, needs_attention,
                   last_outbound_at, last_outbound_ok_at, last_inbound_at, last_message_at)
            SELECT c.organization_id, %s, c.id, r.user_id, now(), c.id %% 5 <> 0, (c.id %% 3 = 0)::int, (c.id %% 6 = 0)::int,
                   false, false, now() - interval '2 hours', now() - interval '2 hours',
                   CASE WHEN c.id %% 3 = 0 THEN now() - interval '1 hour' END, now()
            FROM actions_contact c
            JOIN LATERAL (SELECT user_id FROM actions_actionrecipient WHERE action_id = %s
                          ORDER BY user_id OFFSET (c.id %% %s) LIMIT 1) r ON true
            WHERE c.organization_id = %s""",
            [action.id, action.id, users, org.id],
        )
        # Answer-time histograms, so the median column has something to sort.
    recompute_stats(action)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE reporting_actionuserstats SET answer_1m = user_id %% 5, answer_15m = user_id %% 7, answer_4h = user_id %% 3"
            " WHERE action_id = %s",
            [action.id],
        )
    token, _ = Token.objects.get_or_create(user=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return action, client


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def table_page(client: APIClient, action: Action, query: str) -> None:
    r = client.get(f"/api/v1/actions/{action.id}/engagement/?page_size=50&{query}")
    assert r.status_code == 200, r.content


def bare_page(action: Action) -> None:
    """The physical limit: the page's aggregate rows, read as they lie, no join, no sort key computed."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT * FROM reporting_actionuserstats WHERE action_id = %s ORDER BY needs_attention DESC LIMIT 50", [action.id]
        )
        cur.fetchall()
        cur.execute("SELECT count(*) FROM actions_actionrecipient WHERE action_id = %s", [action.id])


def sql_page(action: Action) -> None:
    """The same page as hand-written SQL (recipients, users and aggregates joined, sorted,
    counted): what the ORM and DRF add on top of the database's own work."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT r.user_id, u.email, u.first_name, u.last_name, r.completions, r.last_active_at, s.*
               FROM actions_actionrecipient r JOIN auth_user u ON u.id = r.user_id
               LEFT JOIN reporting_actionuserstats s ON s.action_id = r.action_id AND s.user_id = r.user_id
               WHERE r.action_id = %s ORDER BY s.needs_attention DESC NULLS LAST, r.user_id LIMIT 50""",
            [action.id],
        )
        cur.fetchall()
        cur.execute("SELECT count(*) FROM actions_actionrecipient WHERE action_id = %s", [action.id])


def naive_page(action: Action) -> None:
    """Counting each user's figures from the conversations at request time."""
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT r.user_id, count(c.id), count(c.id) FILTER (WHERE NOT c.has_initial AND NOT c.contact_opted_out),
                       coalesce(sum(c.inbound_count), 0), count(c.id) FILTER (WHERE c.needs_attention),
                       (SELECT count(*) FROM actions_message m WHERE m.action_id = r.action_id AND m.sent_by_id = r.user_id)
                FROM actions_actionrecipient r
                LEFT JOIN {Conversation._meta.db_table} c ON c.action_id = r.action_id AND c.assigned_user_id = r.user_id
                WHERE r.action_id = %s GROUP BY r.user_id, r.action_id
                ORDER BY 5 DESC LIMIT 50""",
            [action.id],
        )
        cur.fetchall()


def queries(client: APIClient, action: Action) -> int:
    with CaptureQueriesContext(connection) as ctx:
        table_page(client, action, QUERIES[-1])
    return len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    small_action, small_client = build(args.users // 10)
    print(f"building {args.users:,} users with {args.users * PER_USER:,} conversations …", flush=True)
    action, client = build(args.users)
    try:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        table_page(client, action, QUERIES[0])  # warm the connection and the caches alike for every method
        ours = {q: timed(lambda q=q: table_page(client, action, q), args.repeat) for q in QUERIES}
        bare = timed(lambda: bare_page(action), args.repeat)
        sql = timed(lambda: sql_page(action), args.repeat)
        naive = timed(lambda: naive_page(action), args.repeat)
        q_small, q_big = queries(small_client, small_action), queries(client, action)
    finally:
        Organization.objects.filter(pk__in=[action.organization_id, small_action.organization_id]).delete()

    print(f"engagement table, {args.users:,} users, page of 50 (median of {args.repeat}):")
    for q, seconds in ours.items():
        print(f"  {q:50s} {seconds * 1000:6.1f} ms  {seconds / sql:4.1f}x hand SQL  naive {naive / seconds:4.1f}x slower")
    print(f"the same page as hand-written SQL (physical limit):  {sql * 1000:7.1f} ms")
    print(f"bare read of 50 aggregate rows, no join, no sort:    {bare * 1000:7.1f} ms")
    print(f"naive count from conversations and messages:          {naive * 1000:7.1f} ms")
    print(f"queries per request: {q_small} at {args.users // 10:,} users, {q_big} at {args.users:,} users")


if __name__ == "__main__":
    main()
