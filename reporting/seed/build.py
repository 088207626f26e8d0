"""`seed_demo`: a realistic demo organization with history at scale S, M or L.

Re-running replaces the demo organization's data. Rows are written set-based (COPY on
PostgreSQL), then the aggregates are built by recompute_stats, one action at a time. At scale
S one more action is made through the real pipeline and the Twilio simulator
(reporting.seed.simulated), its aggregates kept incrementally like in production and checked
against a recount."""

import itertools
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from actions.models import Action, Contact, Conversation, Message, OptOut, Report
from orgs.db import is_postgres
from orgs.models import Membership, Organization
from reporting.recompute import recompute_stats

from . import plan
from .history import History, Work
from .purge import organization_purge
from .simulated import simulated_action
from .tables import Pump


@dataclass
class Summary:
    organization: Organization
    actions: list[Action]
    volunteers: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


TRIGGERS_OFF = "SET session_replication_role = replica"
SEED = 2026
PARTS = 2  # processes drawing and copying side by side (each with its own COPY connection)
PART_MIN_CONTACTS = 50_000


@contextmanager
def _bulk_load_session() -> Iterator[bool]:
    """PostgreSQL: no per-row foreign-key triggers while the seed deletes and loads millions of
    rows it builds consistent by construction (what pg_restore --disable-triggers does). Yields
    whether they are off; without the privilege the load still runs, in one transaction per
    batch with the checks, only slower."""
    if not is_postgres():
        yield False
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(TRIGGERS_OFF)
    except DatabaseError:
        yield False
        return
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


@transaction.atomic
def _fresh_organization() -> Organization:
    old = Organization.objects.filter(name=plan.ORG_NAME).first()
    if old is not None:
        organization_purge(organization_id=old.id)
    return Organization.objects.create(
        name=plan.ORG_NAME,
        twilio_account_sid="AC" + "d" * 32,
        twilio_auth_token="demo-auth-token-not-a-real-one",
        messaging_service_sid="MG" + "d" * 32,
    )


@transaction.atomic
def _people(org: Organization, volunteers: int) -> list[int]:
    users = get_user_model()
    admin = users.objects.create_user(
        username=plan.ADMIN_EMAIL, email=plan.ADMIN_EMAIL, password=plan.ADMIN_PASSWORD, first_name="Demo", last_name="Admin"
    )
    Membership.objects.create(user=admin, organization=org, role=Membership.Role.ADMIN)
    hashed = make_password(plan.VOLUNTEER_PASSWORD)  # hashed once: PBKDF2 per user would dominate small seeds
    people = [
        users(username=f"volunteer{i:03d}@demo.p2p.example", email=f"volunteer{i:03d}@demo.p2p.example", password=hashed,
              first_name=plan.FIRST_NAMES[i % len(plan.FIRST_NAMES)], last_name=plan.LAST_NAMES[(i * 7) % len(plan.LAST_NAMES)])
        for i in range(1, volunteers + 1)
    ]  # fmt: skip
    users.objects.bulk_create(people)
    ids = list(users.objects.filter(username__in=[p.username for p in people]).order_by("id").values_list("id", flat=True))
    Membership.objects.bulk_create([Membership(user_id=u, organization=org, role=Membership.Role.VOLUNTEER) for u in ids])
    return ids


def _action(org: Organization, p: plan.ActionPlan, now: datetime) -> Work:
    """The action row; its history is drawn between `start` and `end` (epoch seconds)."""
    action = Action.objects.create(
        organization=org,
        name=p.name,
        status=p.status,
        initial_script=plan.LINK_SCRIPT if p.link else plan.INITIAL_SCRIPT,
        tags=plan.TAGS,
        custom_fields=plan.CUSTOM_FIELDS,
        response_scripts=plan.RESPONSE_SCRIPTS,
    )
    start = now - timedelta(days=p.days_ago)
    Action.objects.filter(pk=action.pk).update(created_at=start - timedelta(days=1))
    end = now if p.status == Action.Status.LIVE else min(now, start + timedelta(days=p.days))
    return Work(action=action, plan=p, start=int(start.timestamp()), end=int(max(end, start + timedelta(minutes=10)).timestamp()))


def _mirror_opt_outs(org: Organization) -> None:
    """Conversations in earlier actions of a phone that opted out later mirror it now (one
    joined UPDATE: the planner needs the fresh statistics _analyze gathers first)."""
    qn = connection.ops.quote_name
    conv, contact, optout = (qn(m._meta.db_table) for m in (Conversation, Contact, OptOut))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {conv} SET contact_opted_out = %s, needs_attention = %s, needs_attention_since = NULL "
            f"FROM {contact} AS ct, {optout} AS o "
            f"WHERE {conv}.contact_id = ct.id AND o.organization_id = ct.organization_id AND o.phone = ct.phone "
            f"AND ct.organization_id = %s AND {conv}.contact_opted_out = %s",
            [True, False, org.id, False],
        )


def _analyze() -> None:
    if is_postgres():
        with connection.cursor() as cursor:
            for model in (Contact, Conversation, Message, OptOut, Report):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _draw_part(org_id: int, works: list[Work], first: int, end: int, seed: int, now: datetime, fast: bool) -> dict:
    """Contacts first..end-1 with their conversations in every action: a phone's whole story
    (opt-outs carry across actions) stays in one part, so parts run side by side."""
    # Commits of the COPY connection need not wait for the disk: a crash means re-running the seed.
    pump = Pump([TRIGGERS_OFF, "SET synchronous_commit = off"]) if fast else None
    history = History(organization_id=org_id, seed=seed, now=int(now.timestamp()), pump=pump)
    try:
        history.add_contacts(first, end)
        for work in works:
            history.add_action(work)
        history.opt_out_rows()
    finally:
        if pump is not None:
            pump.close()
    return {name: table.written for name, table in history.t.items()}


def _parts(contacts: int, fast: bool) -> list[tuple[int, int]]:
    count = PARTS if fast and contacts >= PART_MIN_CONTACTS else 1
    bounds = [contacts * i // count for i in range(count + 1)]
    return list(itertools.pairwise(bounds))


def set_based_history(
    *, org: Organization, works: list[Work], volunteers: list[int], contacts: int, now: datetime, fast: bool
) -> dict:
    recipients = History(organization_id=org.id, seed=SEED, now=int(now.timestamp()))
    for work in works:
        if work.plan.status != Action.Status.DRAFT:
            recipients.add_recipients(work, volunteers)
    recipients.flush()
    parts = [(org.id, works, first, end, SEED + i, now, fast) for i, (first, end) in enumerate(_parts(contacts, fast))]
    if len(parts) == 1:
        results = [_draw_part(*parts[0])]
    else:
        # Forked workers open their own connections; the parent's must not be shared with them.
        connections.close_all()
        with ProcessPoolExecutor(len(parts), mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_draw_part, *zip(*parts, strict=True)))
    rows = Counter({"recipient": recipients.written("recipient")})
    for part in results:
        rows.update(part)
    _analyze()
    _mirror_opt_outs(org)
    return dict(rows)


def seed_demo(*, scale: str, contacts: int | None = None, log: Callable[[str], None] = lambda line: None) -> Summary:
    clock = time.monotonic()
    now = timezone.now().replace(microsecond=0)
    count = contacts or plan.SCALES[scale]
    with _bulk_load_session() as fast:
        org = _fresh_organization()
        volunteers = _people(org, plan.volunteers_for(count))
        works = [_action(org, p, now) for p in plan.ACTIONS]
        summary = Summary(organization=org, actions=[w.action for w in works], volunteers=len(volunteers))
        summary.seconds["setup"] = time.monotonic() - clock
        log(f"writing the history of {count:,} contacts…")
        summary.rows = set_based_history(org=org, works=works, volunteers=volunteers, contacts=count, now=now, fast=fast)
        summary.seconds["history"] = time.monotonic() - clock - summary.seconds["setup"]
    for work in works:
        log(f"recompute_stats: {work.action.name}")
        # The history wrote each conversation's derived columns: only the aggregates are built here.
        recompute_stats(work.action, rebuild_conversations=False)
    summary.seconds["recompute"] = time.monotonic() - clock - summary.seconds["setup"] - summary.seconds["history"]
    if scale in plan.SIMULATED_CONTACTS and not contacts:
        started = time.monotonic()
        log(f"texting {plan.SIMULATED_CONTACTS[scale]} contacts through the Twilio simulator…")
        action, done = simulated_action(
            organization=org, volunteers=volunteers, contacts=plan.SIMULATED_CONTACTS[scale], seed=SEED
        )
        drift = recompute_stats(action)
        if drift:
            raise RuntimeError(f"the simulated action's incremental figures drifted: {drift[:3]}")
        summary.actions.append(action)
        summary.rows["simulated"] = done["initials"] + done["follow_ups"]
        summary.seconds["simulated"] = time.monotonic() - started
    return summary
