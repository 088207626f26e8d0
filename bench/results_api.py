"""Results API at scale: time at L over time at S (goal <= 1.5), and at L against counting the
same figures from the messages on the fly at request time (goal >= 50x faster), measured side
by side in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p_results_bench REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python bench/results_api.py [--large-contacts 1000000] [--rounds 200]

The database is created and migrated if needed. Each scale is seeded once with seed_demo and
kept under its own name ("Bench S", "Bench L"), so later runs measure without re-seeding.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_admin.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/p2p_results_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/2")


def ensure_database() -> None:
    import dj_database_url

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    conn = psycopg2.connect(dbname="postgres", user=cfg["USER"], host=cfg["HOST"], port=cfg["PORT"] or 5432)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def seeded(label: str, contacts: int):
    """The live action of the demo organization seeded at this size, seeding it if needed."""
    from actions.models import Action, Contact
    from orgs.models import Organization
    from reporting.seed.build import seed_demo

    name = f"Bench {label}"
    org = Organization.objects.filter(name=name).first()
    if org is None or Contact.objects.filter(organization=org).count() != contacts:
        if org is not None:
            from reporting.seed.purge import organization_purge

            organization_purge(organization_id=org.id)
        started = time.monotonic()
        summary = seed_demo(scale=label, contacts=contacts, log=lambda line: print(f"  [{label}] {line}", flush=True))
        print(f"  seeded {label} in {time.monotonic() - started:.0f} s: {summary.rows} {summary.seconds}", flush=True)
        keep_apart(summary.organization, label)
        org = Organization.objects.get(name=name)
    return Action.objects.get(organization=org, status=Action.Status.LIVE)


def keep_apart(org, label: str) -> None:
    """Rename the seeded organization and its users so the next seed_demo leaves it alone."""
    from django.contrib.auth import get_user_model
    from django.db.models import Value
    from django.db.models.functions import Replace

    from orgs.models import Organization

    domain = f"@bench-{label.lower()}.p2p.example"
    Organization.objects.filter(pk=org.pk).update(name=f"Bench {label}", slug=f"bench-{label.lower()}", twilio_account_sid="")
    get_user_model().objects.filter(membership__organization=org).update(
        username=Replace("username", Value("@demo.p2p.example"), Value(domain)),
        email=Replace("email", Value("@demo.p2p.example"), Value(domain)),
    )


def naive_results(action) -> dict:
    """The alternative: count the figures from the raw tables at request time."""
    from django.db.models import Count, Q, Sum

    from actions.models import ActionRecipient, Conversation, LinkClick, Message, Report

    out = Q(direction="out")
    failed = out & Q(status__in=Message.FAILED_STATUSES)
    filtered = Q(error_code__in=Message.CARRIER_FILTERING_CODES)
    figures = Message.objects.filter(action=action).aggregate(
        initial_messages=Count("id", filter=out & Q(kind="initial", twilio_sid__isnull=False)),
        follow_ups=Count("id", filter=out & Q(kind="follow_up", twilio_sid__isnull=False)),
        responses=Count("id", filter=Q(direction="in")),
        twilio_errors=Count("id", filter=failed & ~filtered),
        carrier_filtering=Count("id", filter=failed & filtered),
        delivered=Count("id", filter=out & Q(status__in=Message.DELIVERED_STATUSES)),
    )
    figures |= Conversation.objects.filter(action=action).aggregate(
        reports_available=Count("id", filter=Q(inbound_count__gt=0)),
        reports_filled=Count("id", filter=Q(inbound_count__gt=0, report_count__gt=0)),
        opt_outs=Count("id", filter=Q(opted_out_at__isnull=False)),
        messages_remaining=Count("id", filter=Q(has_initial=False, contact_opted_out=False)),
        needs_attention=Count("id", filter=Q(needs_attention=True)),
    )
    figures |= ActionRecipient.objects.filter(action=action).aggregate(
        sent_to=Count("id"), started=Count("id", filter=Q(started_at__isnull=False)), performs=Sum("completions")
    )
    figures["reports"] = Report.objects.filter(action=action).count()
    figures["link_clicks"] = LinkClick.objects.filter(action=action, is_bot=False).count()
    return figures


def timed(fn, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-contacts", type=int, default=2_000)
    parser.add_argument("--large-contacts", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--naive-rounds", type=int, default=5)
    args = parser.parse_args()
    ensure_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from actions.models import Message
    from orgs.models import Membership
    from reporting.selectors import action_results

    call_command("migrate", verbosity=0)
    small, large = seeded("S", args.small_contacts), seeded("L", args.large_contacts)
    messages = {a: Message.objects.filter(action__organization=a.organization).count() for a in (small, large)}

    def client_for(action) -> APIClient:
        admin = Membership.objects.filter(organization=action.organization, role="admin").first().user
        client = APIClient()
        client.force_authenticate(admin)
        return client

    clients = {a: client_for(a) for a in (small, large)}

    def api(action):
        response = clients[action].get(f"/api/v1/actions/{action.id}/results/")
        assert response.status_code == 200, response.status_code
        return response

    for action in (small, large):
        api(action)  # warm: connection, caches
        with CaptureQueriesContext(connection) as queries:
            api(action)
        print(
            f"{action.organization.name}: {messages[action]:,} messages in the organization, results API issues {len(queries)} queries"
        )
    assert api(large).json()["message_performance"]["initial_messages"] == naive_results(large)["initial_messages"]

    # Interleaved rounds so both scales see the same machine load.
    s_times, l_times = [], []
    for _ in range(args.rounds):
        s_times.append(timed(lambda: api(small), 1))
        l_times.append(timed(lambda: api(large), 1))
    api_s, api_l = statistics.median(s_times), statistics.median(l_times)
    naive_l = timed(lambda: naive_results(large), args.naive_rounds)
    selector_l = timed(lambda: action_results(action=large), args.rounds)

    print(
        f"results API, median of {args.rounds}: S {api_s * 1000:.2f} ms, L {api_l * 1000:.2f} ms (selector alone at L {selector_l * 1000:.2f} ms)"
    )
    print(f"counting on the fly at L, median of {args.naive_rounds}: {naive_l * 1000:.1f} ms")
    print(f"ratio L / S (goal <= 1.5): {api_l / api_s:.2f}")
    print(f"ratio naive / results API at L (goal >= 50): {naive_l / api_l:.0f}x")


if __name__ == "__main__":
    main()
