"""DataSync benchmark, side by side in one run:

1. the DataSync Summary read from its counters vs the naive GROUP BY over the action's outbox
   rows, at --items rows;
2. sending --people contacts' answers (two activist codes and a survey response each) to a
   fake VAN on this machine answering after --latency ms: one call per person (ours) vs one
   call per value (naive), and what VAN's default pace of 20 calls/s allows for each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p_datasync_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/datasync.py [--items 200000] [--people 300] [--latency 5]

Everything runs in one transaction that is rolled back: the database is left as it was.
"""

import argparse
import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_admin.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402
from werkzeug import Response  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from actions.models import Action, Contact, Conversation  # noqa: E402
from datasync import drivers  # noqa: E402
from datasync.counters import SyncCounts  # noqa: E402
from datasync.models import CrmConnection, SyncItem  # noqa: E402
from datasync.selectors import datasync_summary  # noqa: E402
from datasync.services.outbox import payload_hash  # noqa: E402
from datasync.services.sending import connection_sync  # noqa: E402
from orgs.models import Organization  # noqa: E402

SOURCES = [("tag:supporter", {"type": "activist_code", "id": 1}), ("tag:volunteer", {"type": "activist_code", "id": 2})]
SOURCES.append(("field:support=5", {"type": "survey_response", "question_id": 3, "response_id": 4}))


class Rollback(Exception):
    pass


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def seed(action: Action, connection: CrmConnection, people: int, status: str, first: int = 0) -> None:
    org = action.organization
    now = timezone.now()
    contacts = Contact.objects.bulk_create(
        [
            Contact(organization=org, phone=f"+1202{3000000 + i:07d}", van_id=str(100000 + i))
            for i in range(first, first + people)
        ],
        batch_size=5000,
    )
    convs = Conversation.objects.bulk_create(
        [Conversation(organization=org, action=action, contact=c) for c in contacts], batch_size=5000
    )
    items = [
        SyncItem(
            organization=org,
            action=action,
            conversation=conv,
            contact=contact,
            connection=connection,
            source=source,
            target=target,
            person_id=contact.van_id,
            status=status,
            payload_hash=payload_hash(action_id=action.id, connection_id=connection.id, person=contact.van_id, target=target),
            not_before=now,
            recorded_at=now,
        )
        for conv, contact in zip(convs, contacts, strict=True)
        for source, target in SOURCES
    ]
    SyncItem.objects.bulk_create(items, batch_size=5000)
    counts = SyncCounts()
    for item in items:
        counts.add(action_id=action.id, source=item.source, status=item.status)
    counts.write()


def naive_summary(action: Action) -> list:
    return list(SyncItem.objects.filter(action=action).values("source", "status").annotate(n=Count("id")).order_by())


def fake_van(latency: float):
    def app(environ, start_response):
        time.sleep(latency)
        return Response(status=204)(environ, start_response)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = next(p for p in range(8500, 8600) if _free(p))
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}/v4"


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def send_all(action: Action, connection: CrmConnection, people: int, *, grouped: bool) -> tuple[int, float]:
    SyncItem.objects.filter(action=action).update(status="pending", not_before=timezone.now())
    calls = 0
    original = drivers.van_calls

    def counted(conn, items):
        nonlocal calls
        made = original(conn, items) if grouped else [c for i in items for c in original(conn, [i])]
        calls += len(made)
        return made

    drivers.van_calls = counted
    try:
        start = time.perf_counter()
        while connection_sync(connection_id=connection.id, budget_seconds=600).synced:
            pass
        return calls, time.perf_counter() - start
    finally:
        drivers.van_calls = original


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--latency", type=float, default=5.0, help="fake VAN answer time, ms")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    server, url = fake_van(args.latency / 1000)
    settings.VAN_API_BASE_URL = url
    try:
        with transaction.atomic():
            org = Organization.objects.create(name=f"bench-datasync-{time.time()}")
            big = Action.objects.create(organization=org, name="big", initial_script="hi")
            small = Action.objects.create(organization=org, name="small", initial_script="hi")
            van = CrmConnection.objects.create(
                organization=org, kind="van", application_name="b", api_key="k", requests_per_second=1000
            )
            seed(big, van, args.items // len(SOURCES), "synced")
            counters = best_of(lambda: datasync_summary(action=big))
            naive = best_of(lambda: naive_summary(big))
            print(
                f"summary at {args.items:,} rows: counters {counters * 1000:.2f} ms, GROUP BY {naive * 1000:.2f} ms, ratio {naive / counters:.1f}x"
            )

            seed(small, van, args.people, "pending", first=args.items)
            ours_calls, ours = send_all(small, van, args.people, grouped=True)
            naive_calls, naive_time = send_all(small, van, args.people, grouped=False)
            values = args.people * len(SOURCES)
            print(
                f"sending {values:,} values of {args.people:,} people at {args.latency:g} ms a call: "
                f"grouped {ours_calls} calls in {ours:.2f} s, one per value {naive_calls} calls in {naive_time:.2f} s, "
                f"ratio {naive_time / ours:.1f}x"
            )
            print(
                f"at VAN's default 20 calls/s: grouped needs {ours_calls / 20:.0f} s, one per value {naive_calls / 20:.0f} s "
                f"(the physical limit is the CRM's rate, not ours: {values / ours:.0f} values/s here)"
            )
            raise Rollback
    except Rollback:
        pass
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
