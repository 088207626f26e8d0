"""Exports benchmark, side by side in one run (each variant in its own process, so its peak
memory is its own):

- messages CSV of 3,000,000 rows through the exporter (COPY with the CONTRACT §5 escaping
  done in SQL) against a bare `COPY … TO STDOUT` of the same columns, and against the naive
  Python loop (server-side cursor + csv.writer);
- contacts XLSX of 1,000,000 rows through the exporter against bare xlsxwriter in
  constant-memory mode over the same query, and against pandas `to_excel` (on a sample,
  scaled linearly: 1M rows take minutes and GBs).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p_exports_bench .venv/bin/python bench/exports.py \
        [--contacts 1000000] [--pandas-rows 100000]

The first run migrates the database and generates the data set-based (each conversation: an
initial, a reply, a follow-up; 3 messages per contact), then rebuilds the aggregates with
reporting.recompute; later runs reuse it.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_admin.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from actions.models import Action  # noqa: E402
from orgs.models import Membership, Organization  # noqa: E402
from reporting.exports.render import export_spec, export_write  # noqa: E402
from reporting.exports.sources import iter_rows  # noqa: E402
from reporting.exports.writers import write_csv  # noqa: E402

VOLUNTEERS = 50


def seed(contacts: int) -> Action:
    org, _ = Organization.objects.get_or_create(name=f"Exports bench {contacts}")
    action = Action.objects.filter(organization=org, name=f"bench {contacts}").first()
    if action is not None:
        return action
    from django.contrib.auth import get_user_model

    from reporting.recompute import recompute_stats

    users = []
    for i in range(VOLUNTEERS):
        user, _ = get_user_model().objects.get_or_create(
            username=f"bench{i}@example.org", defaults={"email": f"bench{i}@example.org"}
        )
        Membership.objects.get_or_create(user=user, defaults={"organization": org})
        users.append(user.id)
    action = Action.objects.create(
        organization=org,
        name=f"bench {contacts}",
        status=Action.Status.LIVE,
        initial_script="Hi {first_name}",
        tags=["supporter", "undecided"],
        custom_fields=[{"key": "support", "label": "Support", "type": "choice", "choices": ["1", "2", "3", "4", "5"]}],
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL, {"org": org.id, "action": action.id, "n": contacts, "users": users})
        cursor.execute("ANALYZE")
    print(f"generated {contacts:,} contacts and {3 * contacts:,} messages in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    recompute_stats(action)
    print(f"aggregates rebuilt by recompute_stats in {time.perf_counter() - started:.0f} s", flush=True)
    return action


# Set-based: one statement per table. 1% of names and 2% of replies look like formulas so the
# escaping branch runs; 2% of initials are carrier-filtered; 10% of replies got a report.
SEED_SQL = """
INSERT INTO actions_contact (organization_id, phone, first_name, last_name, van_id, pdi_id, attributes, created_at)
SELECT %(org)s, '+1202' || lpad(g::text, 7, '0'), 'First' || g,
       CASE WHEN g %% 100 = 0 THEN '=cmd|' || g ELSE 'Last' || g END, 'V' || g, '',
       jsonb_build_object('ward', (g %% 40)::text, 'precinct', (g %% 700)::text), now()
FROM generate_series(1, %(n)s) g
ON CONFLICT DO NOTHING;

INSERT INTO actions_conversation (organization_id, action_id, contact_id, assigned_user_id, created_at,
    has_initial, inbound_count, report_count, contact_opted_out, needs_attention)
SELECT %(org)s, %(action)s, c.id, (%(users)s::bigint[])[1 + c.id %% array_length(%(users)s::bigint[], 1)], now(),
       true, 1, 0, false, false
FROM actions_contact c WHERE c.organization_id = %(org)s ORDER BY c.id;

INSERT INTO actions_message (organization_id, action_id, conversation_id, phone, direction, kind, body, twilio_sid,
    status, error_code, error_message, sent_by_id, response_script, reply_to_script, created_at, sent_at, send_attempts)
SELECT %(org)s, %(action)s, v.id, c.phone, m.direction, m.kind,
       CASE m.kind WHEN 'initial' THEN 'Hi ' || c.first_name || ', can we count on your vote?'
                   WHEN 'inbound' THEN CASE WHEN v.id %% 50 = 0 THEN '=1+1' ELSE 'Yes, count me in' END
                   ELSE 'Thanks ' || c.first_name || '!' END,
       'SM' || md5(v.id::text || m.kind),
       CASE WHEN m.kind = 'inbound' THEN 'received' WHEN v.id %% 50 = 1 THEN 'undelivered' ELSE 'delivered' END,
       CASE WHEN m.kind <> 'inbound' AND v.id %% 50 = 1 THEN 30007 END, '',
       CASE WHEN m.kind <> 'inbound' THEN v.assigned_user_id END, '', '',
       timestamptz '2024-01-01' + (v.id * 3 + m.step) * interval '1 second',
       CASE WHEN m.kind <> 'inbound' THEN timestamptz '2024-01-01' + (v.id * 3 + m.step) * interval '1 second' END, 1
FROM actions_conversation v JOIN actions_contact c ON c.id = v.contact_id
CROSS JOIN (VALUES (0, 'out', 'initial'), (1, 'in', 'inbound'), (2, 'out', 'follow_up')) AS m(step, direction, kind)
WHERE v.action_id = %(action)s;

INSERT INTO actions_report (organization_id, action_id, conversation_id, author_id, tags, custom_fields, created_at)
SELECT %(org)s, %(action)s, v.id, v.assigned_user_id, '["supporter"]'::jsonb, jsonb_build_object('support', (1 + v.id %% 5)::text), now()
FROM actions_conversation v WHERE v.action_id = %(action)s AND v.id %% 10 = 0;
"""


# --- the variants (each runs in a child process: `bench/exports.py --variant NAME`) --------


def _sink():
    return tempfile.TemporaryFile()


def variant_copy_bare(action: Action, rows: int) -> int:
    """The physical limit: COPY of the same columns, unformatted, straight to a file."""
    sql, params = export_spec(action=action, kind="messages", fmt="csv").exporter().sql()
    with _sink() as out, connection.cursor() as cursor:
        cursor.copy_expert(f"COPY ({cursor.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv)", out)
        return out.tell()


def variant_csv_exporter(action: Action, rows: int) -> int:
    with _sink() as out:
        export_write(export_spec(action=action, kind="messages", fmt="csv"), out, lambda n: None)
        return out.tell()


def variant_csv_python_loop(action: Action, rows: int) -> int:
    """The naive way: a server-side cursor and csv.writer, formatting each cell in Python."""
    exporter = export_spec(action=action, kind="messages", fmt="csv").exporter()
    with _sink() as out:
        write_csv(out, exporter.header(), iter_rows(exporter, "csv", sql_formatting=False))
        return out.tell()


def variant_xlsx_exporter(action: Action, rows: int) -> int:
    with _sink() as out:
        export_write(export_spec(action=action, kind="contacts", fmt="xlsx"), out, lambda n: None)
        return out.tell()


def variant_xlsx_bare(action: Action, rows: int) -> int:
    """xlsxwriter in constant-memory mode over the same query, with no formatting at all."""
    import xlsxwriter

    exporter = export_spec(action=action, kind="contacts", fmt="xlsx").exporter()
    with _sink() as out:
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "remove_timezone": True})
        sheet = book.add_worksheet("contacts")
        sheet.write_row(0, 0, exporter.header())
        with connection.chunked_cursor() as cursor:
            cursor.execute(*exporter.sql())
            line = 1
            while batch := cursor.fetchmany(2000):
                for row in batch:
                    sheet.write_row(line, 0, row)
                    line += 1
        book.close()
        return out.tell()


def variant_xlsx_pandas(action: Action, rows: int) -> int:
    import pandas as pd

    exporter = export_spec(action=action, kind="contacts", fmt="xlsx").exporter()
    sql, params = exporter.sql()
    with connection.cursor() as cursor:
        query = cursor.mogrify(f"{sql} LIMIT {rows}", params).decode()
    frame = pd.read_sql(query, connection.connection)
    frame.columns = exporter.header()
    for column in frame.select_dtypes(include=["datetimetz"]).columns:
        frame[column] = frame[column].dt.tz_localize(None)  # Excel has no time zones
    with _sink() as out:
        frame.to_excel(out, index=False, sheet_name="contacts")
        return out.tell()


VARIANTS = {
    "copy_bare": variant_copy_bare,
    "csv_exporter": variant_csv_exporter,
    "csv_python_loop": variant_csv_python_loop,
    "xlsx_exporter": variant_xlsx_exporter,
    "xlsx_bare": variant_xlsx_bare,
    "xlsx_pandas": variant_xlsx_pandas,
}


def _server_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend (same host only): the machine is
    shared, so CPU time is reported beside wall time as the steadier measure."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_variant(name: str, action_id: int, rows: int) -> None:
    action = Action.objects.get(pk=action_id)
    server_before = _server_cpu()
    started, cpu_started = time.perf_counter(), time.process_time()
    size = VARIANTS[name](action, rows)
    elapsed, client_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    server_after = _server_cpu()
    server_cpu = server_after - server_before if server_before is not None and server_after is not None else 0.0
    peak_mb = peak_rss_mb()
    print(json.dumps({"seconds": elapsed, "cpu": client_cpu + server_cpu, "bytes": size, "peak_mb": peak_mb}))


def peak_rss_mb() -> float:
    """This process's own peak resident memory. Not ru_maxrss: Linux carries that across fork
    and exec, so a variant started by a parent that had grown (generating the data) would
    report the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, action: Action, rows: int) -> dict:
    command = [sys.executable, __file__, "--variant", name, "--action", str(action.id), "--rows", str(rows)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1]) | {"rows": rows}
    result["rows_per_s"] = rows / result["seconds"]
    print(
        f"  {name:16} {rows:>10,} rows {result['seconds']:8.1f} s wall {result['cpu']:8.1f} s cpu "
        f"{result['rows_per_s']:>11,.0f} rows/s {result['bytes'] / 1e6:8.1f} MB out  peak {result['peak_mb']:6.0f} MB",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts (messages are 3x)")
    parser.add_argument("--pandas-rows", type=int, default=100_000, help="pandas sample, scaled linearly")
    parser.add_argument("--variant")
    parser.add_argument("--action", type=int)
    parser.add_argument("--rows", type=int)
    args = parser.parse_args()
    if args.variant:
        run_variant(args.variant, args.action, args.rows)
        return
    if connection.vendor != "postgresql":
        raise SystemExit("run against PostgreSQL (DATABASE_URL=postgres://…/p2p_exports_bench)")
    call_command("migrate", verbosity=0)
    action = seed(args.contacts)
    messages, contacts = 3 * args.contacts, args.contacts

    print(f"\nmessages CSV, {messages:,} rows")
    copy = measure("copy_bare", action, messages)
    ours = measure("csv_exporter", action, messages)
    loop = measure("csv_python_loop", action, messages)
    print(
        f"  exporter / bare COPY throughput: {ours['rows_per_s'] / copy['rows_per_s']:.2f} by wall time, "
        f"{copy['cpu'] / ours['cpu']:.2f} by CPU time (goal >= 0.5); exporter / Python loop: "
        f"{ours['rows_per_s'] / loop['rows_per_s']:.1f}x; peak {ours['peak_mb']:.0f} MB (goal < 200)"
    )

    print(f"\ncontacts XLSX, {contacts:,} rows")
    bare = measure("xlsx_bare", action, contacts)
    xlsx = measure("xlsx_exporter", action, contacts)
    sample = min(args.pandas_rows, contacts)
    pandas = measure("xlsx_pandas", action, sample)
    pandas_full = pandas["seconds"] * contacts / sample
    print(
        f"  exporter / bare xlsxwriter time: {xlsx['seconds'] / bare['seconds']:.2f} by wall time, "
        f"{xlsx['cpu'] / bare['cpu']:.2f} by CPU time (goal <= 1.3); peak {xlsx['peak_mb']:.0f} MB (goal < 100)"
    )
    print(
        f"  pandas to_excel: {pandas['seconds']:.1f} s for {sample:,} rows, ~{pandas_full:.0f} s scaled to {contacts:,}; "
        f"exporter is {pandas_full / xlsx['seconds']:.1f}x faster; pandas peak {pandas['peak_mb']:.0f} MB on the sample"
    )


if __name__ == "__main__":
    main()
