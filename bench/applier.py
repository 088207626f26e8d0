"""Event applier throughput: stored Twilio events applied per second by the real applier
(batches of 1,000 under SELECT … FOR UPDATE SKIP LOCKED, conversations locked, aggregates moved
through the Ledger), side by side with the naive baseline (one UPDATE per event) and the
physical limit of the same message updates (a batched UPDATE … FROM (VALUES …)).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p_twilio .venv/bin/python bench/applier.py [--messages 20000]

Each method gets its own fresh messages; everything is rolled back at the end.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_admin.settings")
# Measured as deployed: DEBUG off (no per-query bookkeeping).
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "bench-only-field-key")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from actions.models import Action, Contact, Conversation, Message, TwilioEvent  # noqa: E402
from actions.twilio.applier import events_apply_all  # noqa: E402
from orgs.models import Membership, Organization  # noqa: E402
from orgs.services import member_create  # noqa: E402

BATCH = 1000


class Rollback(Exception):
    pass


def texted(org: Organization, user, n: int, tag: str) -> list[Message]:
    """n conversations whose initial Twilio accepted, written set-based."""
    now = timezone.now()
    action = Action.objects.create(organization=org, name=f"bench {tag}", initial_script="Hi", status=Action.Status.LIVE)
    contacts = Contact.objects.bulk_create(
        Contact(organization=org, phone=f"+1{tag}{i:07d}", first_name=f"F{i}") for i in range(n)
    )
    convs = Conversation.objects.bulk_create(
        Conversation(
            organization=org,
            action=action,
            contact=c,
            assigned_user=user,
            has_initial=True,
            last_outbound_at=now,
            last_outbound_ok_at=now,
            last_message_at=now,
        )
        for c in contacts
    )
    return Message.objects.bulk_create(
        Message(
            organization=org,
            action=action,
            conversation=c,
            phone=c.contact.phone,
            direction="out",
            kind="initial",
            body="Hi",
            twilio_sid=f"SM{tag}{i:029d}",
            status="accepted",
            sent_by=user,
            created_at=now,
            sent_at=now,
        )
        for i, c in enumerate(convs)
    )


def stream(messages: list[Message], rng: random.Random) -> list[tuple]:
    """What Twilio posts for them: every `sent`, then the finals (3% carrier-filtered), then 10% replies."""
    sent = [("status", m, "sent", None) for m in messages]
    finals = [("status", m, *(("undelivered", 30007) if rng.random() < 0.03 else ("delivered", None))) for m in messages]
    replies = [
        ("inbound", m, "Sure, count me in" if rng.random() < 0.95 else "STOP", None) for m in messages if rng.random() < 0.1
    ]
    return sent + finals + replies


def store(org: Organization, events: list[tuple]) -> None:
    now = timezone.now()
    rows = []
    for n, (kind, m, value, code) in enumerate(events):
        if kind == "status":
            payload = {"MessageSid": m.twilio_sid, "MessageStatus": value, **({"ErrorCode": str(code)} if code else {})}
            rows.append(
                TwilioEvent(organization=org, kind=kind, message_sid=m.twilio_sid, status=value, payload=payload, received_at=now)
            )
        else:
            sid = f"SMr{n:031d}"
            payload = {"MessageSid": sid, "From": m.phone, "Body": value}
            rows.append(TwilioEvent(organization=org, kind=kind, message_sid=sid, payload=payload, received_at=now))
    TwilioEvent.objects.bulk_create(rows, batch_size=5000)


def per_row(events: list[tuple]) -> int:
    """The naive applier: one UPDATE per status callback."""
    done = 0
    with connection.cursor() as cursor:
        for kind, m, status, code in events:
            if kind == "status":
                cursor.execute(
                    "UPDATE actions_message SET status = %s, error_code = %s, status_updated_at = now() WHERE twilio_sid = %s",
                    [status, code, m.twilio_sid],
                )
                done += 1
    return done


def batched(events: list[tuple]) -> int:
    """The physical limit of the same writes: UPDATE … FROM (VALUES …), 1,000 rows a statement."""
    rows = [(m.twilio_sid, status, code) for kind, m, status, code in events if kind == "status"]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            part = rows[start : start + BATCH]
            values = ", ".join(["(%s, %s, %s::integer)"] * len(part))
            cursor.execute(
                f"UPDATE actions_message AS m SET status = v.s, error_code = v.c, status_updated_at = now()"
                f" FROM (VALUES {values}) AS v(sid, s, c) WHERE m.twilio_sid = v.sid",
                [x for row in part for x in row],
            )
    return len(rows)


def timed(fn) -> tuple[float, int]:
    start = time.perf_counter()
    count = fn()
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL (set DATABASE_URL).")
    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    results = {}
    try:
        with transaction.atomic():
            stamp = time.time_ns()
            org = Organization.objects.create(name=f"bench-{stamp}", slug=f"bench-{stamp}")
            user = member_create(
                organization=org, email=f"{stamp}@bench.example", password="bench-password", role=Membership.Role.VOLUNTEER
            )
            sets = {
                name: stream(texted(org, user, args.messages, tag), rng)
                for name, tag in (("naive", "201"), ("applier", "202"), ("batched", "203"))
            }
            store(org, sets["applier"])
            results["naive"] = timed(lambda: per_row(sets["naive"]))
            results["applier"] = timed(lambda: events_apply_all(limit=BATCH, max_seconds=3600))
            results["batched"] = timed(lambda: batched(sets["batched"]))
            left = TwilioEvent.objects.filter(organization=org, applied_at__isnull=True).count()
            delivered = Message.objects.filter(action__name="bench 202", status__in=["delivered", "undelivered"]).count()
            raise Rollback
    except Rollback:
        pass
    rate = {name: count / seconds for name, (seconds, count) in results.items()}
    print(f"messages per method            {args.messages:,}")
    print(
        f"applier (real, batches of {BATCH})  {results['applier'][1]:,} events in {results['applier'][0]:.2f} s = {rate['applier']:9,.0f} events/s"
        f"  ({left} left unapplied, {delivered:,} messages final)"
    )
    print(
        f"naive: one UPDATE per event    {results['naive'][1]:,} rows in {results['naive'][0]:.2f} s = {rate['naive']:9,.0f} rows/s"
    )
    print(
        f"limit: UPDATE … FROM (VALUES)  {results['batched'][1]:,} rows in {results['batched'][0]:.2f} s = {rate['batched']:9,.0f} rows/s"
    )
    print(
        f"ratios: applier / naive = {rate['applier'] / rate['naive']:.2f}x   applier / limit = {rate['applier'] / rate['batched']:.2f}x"
    )


if __name__ == "__main__":
    main()
