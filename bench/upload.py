"""Contact upload benchmark: N rows through the real API view, side by side with the naive
alternative (a save per row) and the physical limit (PostgreSQL COPY of the same rows).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p .venv/bin/python bench/upload.py [--rows 100000]

It runs in its own database, bench_<name of DATABASE_URL's database>, created and migrated
on first use and emptied afterwards; every write commits as it would in production.
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_admin.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from actions.models import Action, Contact, Conversation  # noqa: E402
from actions.phones import normalize_phone  # noqa: E402
from orgs.models import Membership, Organization  # noqa: E402
from orgs.services import member_create  # noqa: E402


def csv_rows(count: int, start: int) -> str:
    lines = ["phone,first_name,last_name,van_id,ward,precinct"]
    lines += [f"(202) {2000000 + start + i:07d},First{i},Last{i},V{i},{i % 40},{i % 700}" for i in range(count)]
    return "\n".join(lines) + "\n"


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def api_upload(org: Organization, admin, text: str) -> dict:
    action = Action.objects.create(organization=org, name="bench", initial_script="Hi {first_name}")
    client = APIClient()
    client.force_authenticate(admin)
    upload = SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv")
    response = client.post(f"/api/v1/actions/{action.id}/contacts/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content[:500]
    return response.json()


def naive_upload(org: Organization, text: str) -> int:
    """What a first version would do: parse, then save a contact and a conversation per row."""
    action = Action.objects.create(organization=org, name="naive", initial_script="Hi")
    rows = text.splitlines()[1:]
    for line in rows:
        phone, first, last, van_id, *_ = line.split(",")
        contact = Contact.objects.create(
            organization=org, phone=normalize_phone(phone), first_name=first, last_name=last, van_id=van_id
        )
        Conversation.objects.create(organization=org, action=action, contact=contact)
    return len(rows)


def copy_limit(org: Organization, text: str) -> int:
    """The physical limit: COPY the rows, already parsed, into copies of our two tables with
    the same indexes (not the deferred foreign-key checks), then one conversation per contact."""
    action = Action.objects.create(organization=org, name="copy", initial_script="Hi")
    rows = [line.split(",") for line in text.splitlines()[1:]]
    data = "".join(f"{org.id}\t+1202{r[0][-7:]}\t{r[1]}\t{r[2]}\t{r[3]}\t\t{{}}\tnow\n" for r in rows)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_contact, bench_conversation")
        cursor.execute("CREATE TABLE bench_contact (LIKE actions_contact INCLUDING ALL)")
        cursor.execute("CREATE TABLE bench_conversation (LIKE actions_conversation INCLUDING ALL)")
        cursor.cursor.copy_expert(
            "COPY bench_contact (organization_id, phone, first_name, last_name, van_id, pdi_id, attributes, created_at)"
            " FROM STDIN",
            io.StringIO(data),
        )
        cursor.execute(
            "INSERT INTO bench_conversation (organization_id, action_id, contact_id, created_at, has_initial, inbound_count,"
            " report_count, contact_opted_out, needs_attention) SELECT organization_id, %s, id, now(), false, 0, 0, false, false"
            " FROM bench_contact",
            [action.id],
        )
        cursor.execute("DROP TABLE bench_contact, bench_conversation")
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--naive-rows", type=int, default=3_000, help="the naive path is timed on this many and scaled")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL (set DATABASE_URL).")
    settings.DATABASES["default"]["TEST"]["NAME"] = "bench_" + settings.DATABASES["default"]["NAME"]
    setup_databases(verbosity=0, interactive=False, keepdb=True)

    text = csv_rows(args.rows, 0)
    naive_text = csv_rows(args.naive_rows, args.rows)
    try:
        org = Organization.objects.create(name="bench", slug="bench")
        admin = member_create(
            organization=org, email="admin@bench.example", password="bench-password", role=Membership.Role.ADMIN
        )
        parse_s, _ = timed(lambda: [normalize_phone(line.split(",")[0]) for line in text.splitlines()[1:]])
        api_s, result = timed(lambda: api_upload(org, admin, text))
        naive_s, naive_n = timed(lambda: naive_upload(org, naive_text))
        copy_s, _ = timed(lambda: copy_limit(org, text))
    finally:
        call_command("flush", interactive=False, verbosity=0)

    naive_full = naive_s / naive_n * args.rows
    print(f"rows                          {args.rows:,} ({len(text) / 1e6:.1f} MB CSV)")
    print(f"API upload                    {api_s:7.2f} s  {args.rows / api_s:10,.0f} rows/s  -> {result['created']:,} created")
    print(f"  of which phone parsing      {parse_s:7.2f} s  ({parse_s / api_s:.0%} of the upload)")
    print(f"naive save per row (scaled)   {naive_full:7.2f} s  {args.rows / naive_full:10,.0f} rows/s  (timed on {naive_n:,})")
    print(f"COPY limit (parsed rows)       {copy_s:7.2f} s  {args.rows / copy_s:10,.0f} rows/s")
    print(f"ratios: naive / API = {naive_full / api_s:.1f}x   API / COPY limit = {api_s / copy_s:.1f}x")


if __name__ == "__main__":
    main()
