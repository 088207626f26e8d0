"""`recompute_stats(action)`: rebuild every aggregate of an action from the raw tables
(messages, reports, recipients, opt-out events, link clicks) and report the drift found.

This is a second, independent statement of CONTRACT §4 in SQL (through the ORM so the
SQLite demo runs it too); tests hold the incrementally kept figures equal to it.
"""

from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncHour

from actions.models import Action, ActionRecipient, Conversation, LinkClick, Message, OptOut, OptOutEvent, Report

from .contrib import report_values
from .models import ANSWER_BUCKETS, ActionBreakdown, ActionErrorStats, ActionHourStats, ActionStats, ActionUserStats
from .stats import counter_names

FAILED = Message.FAILED_STATUSES
FILTERED = Message.CARRIER_FILTERING_CODES


def _count(qs) -> Subquery:
    return Coalesce(Subquery(qs.order_by().values("conversation_id").annotate(n=Count("id")).values("n")[:1]), 0)


def recompute_conversations(action: Action) -> None:
    """Rebuild each conversation's derived state from its messages, reports and opt-outs."""
    msgs = Message.objects.filter(conversation_id=OuterRef("pk"))
    outbound = msgs.filter(direction=Message.Direction.OUTBOUND)
    inbound = msgs.filter(direction=Message.Direction.INBOUND)
    latest_failed = outbound.filter(status__in=FAILED).order_by("-created_at", "-id")
    Conversation.objects.filter(action=action).update(
        has_initial=Exists(msgs.filter(kind=Message.Kind.INITIAL)),
        inbound_count=_count(inbound),
        last_inbound_at=Subquery(inbound.order_by().values("conversation_id").annotate(m=Max("created_at")).values("m")[:1]),
        last_outbound_at=Subquery(outbound.order_by().values("conversation_id").annotate(m=Max("created_at")).values("m")[:1]),
        last_outbound_ok_at=Subquery(
            outbound.exclude(status__in=FAILED).order_by().values("conversation_id").annotate(m=Max("created_at")).values("m")[:1]
        ),
        last_message_at=Subquery(msgs.order_by().values("conversation_id").annotate(m=Max("created_at")).values("m")[:1]),
        last_error_code=Subquery(latest_failed.values("error_code")[:1]),
        report_count=_count(Report.objects.filter(conversation_id=OuterRef("pk"))),
        latest_report_id=Subquery(
            Report.objects.filter(conversation_id=OuterRef("pk"))
            .order_by()
            .values("conversation_id")
            .annotate(m=Max("id"))
            .values("m")[:1]
        ),
        opted_out_at=Subquery(
            OptOutEvent.objects.filter(conversation_id=OuterRef("pk"), kind=OptOutEvent.Kind.OUT)
            .order_by()
            .values("conversation_id")
            .annotate(m=Min("created_at"))
            .values("m")[:1]
        ),
    )
    opted_phones = OptOut.objects.filter(organization_id=action.organization_id).values("phone")
    Conversation.objects.filter(action=action).update(contact_opted_out=False)
    Conversation.objects.filter(action=action, contact__phone__in=opted_phones).update(contact_opted_out=True)
    attention = Q(contact_opted_out=False, inbound_count__gt=0) & (
        Q(last_outbound_ok_at__isnull=True) | Q(last_inbound_at__gte=F("last_outbound_ok_at")) | Q(report_count=0)
    )
    convs = Conversation.objects.filter(action=action)
    convs.filter(attention, needs_attention_since__isnull=True).update(needs_attention_since=F("last_inbound_at"))
    convs.exclude(attention).update(needs_attention_since=None)
    convs.update(needs_attention=ExpressionWrapper(attention, output_field=BooleanField()))


def _answer_bucket_case() -> Case:
    whens = [When(answer_seconds__lte=bound, then=Value(name)) for name, bound in ANSWER_BUCKETS if bound is not None]
    return Case(*whens, default=Value(ANSWER_BUCKETS[-1][0]), output_field=CharField())


def _as_int(row: dict) -> dict:
    return {k: int(v or 0) for k, v in row.items()}


def _case_count(condition: Q) -> Count:
    return Count("id", filter=condition)


def _message_figures() -> dict:
    out = Q(direction=Message.Direction.OUTBOUND)
    accepted = Q(twilio_sid__isnull=False) & ~Q(twilio_sid="")
    failed = out & Q(status__in=FAILED)
    return {
        "initial_messages": _case_count(out & accepted & Q(kind=Message.Kind.INITIAL)),
        "follow_ups": _case_count(out & accepted & Q(kind=Message.Kind.FOLLOW_UP)),
        "twilio_errors": _case_count(failed & (Q(error_code__isnull=True) | ~Q(error_code__in=FILTERED))),
        "carrier_filtering": _case_count(failed & Q(error_code__in=FILTERED)),
        "delivered": _case_count(out & Q(status__in=Message.DELIVERED_STATUSES)),
    }


def _conversation_figures() -> dict:
    responded = Q(inbound_count__gt=0)
    return {
        "reports_available": _case_count(responded),
        "reports_filled": _case_count(responded & Q(report_count__gt=0)),
        "opt_outs": _case_count(Q(opted_out_at__isnull=False)),
        "messages_remaining": _case_count(Q(has_initial=False, contact_opted_out=False)),
        "needs_attention": _case_count(Q(needs_attention=True)),
    }


def expected_rows(action: Action) -> dict[str, dict[tuple, dict[str, int]]]:
    """Every aggregate row the action should have, keyed like the tables (no shards)."""
    rows: dict[str, dict[tuple, Counter]] = defaultdict(lambda: defaultdict(Counter))
    a = action.id
    messages = Message.objects.filter(action=action).order_by()
    convs = Conversation.objects.filter(action=action).order_by()

    total = rows["action"][(a,)]
    recips = ActionRecipient.objects.filter(action=action).aggregate(
        sent_to=Count("id"),
        seen=Count("id", filter=Q(seen_at__isnull=False) | Q(started_at__isnull=False)),
        started=Count("id", filter=Q(started_at__isnull=False)),
        completed=Count("id", filter=Q(completions__gt=0)),
        performs=Coalesce(Sum("completions"), 0),
    )
    total.update(_as_int(recips))
    total["reports"] += Report.objects.filter(action=action).count()
    total.update(_as_int(convs.aggregate(conversations=Count("id"), **_conversation_figures())))
    total.update(_as_int(messages.aggregate(responses=_case_count(Q(direction=Message.Direction.INBOUND)), **_message_figures())))
    clicks = LinkClick.objects.filter(action=action).order_by()
    total.update(
        _as_int(clicks.aggregate(link_clicks=_case_count(Q(is_bot=False)), link_clicks_bots=_case_count(Q(is_bot=True))))
    )

    for r in (
        convs.filter(assigned_user__isnull=False)
        .values("assigned_user_id")
        .annotate(held=Count("id"), responses=Coalesce(Sum("inbound_count"), 0), **_conversation_figures())
    ):
        uid = r.pop("assigned_user_id")
        r["unsent"] = r.pop("messages_remaining")
        rows["user"][(a, uid)].update(_as_int(r))
    for r in (
        messages.filter(sent_by__isnull=False, direction=Message.Direction.OUTBOUND)
        .values("sent_by_id")
        .annotate(**_message_figures())
    ):
        uid = r.pop("sent_by_id")
        rows["user"][(a, uid)].update(_as_int(r))
    answered = messages.filter(sent_by__isnull=False, answer_seconds__isnull=False)
    for r in answered.annotate(bucket=_answer_bucket_case()).values("sent_by_id", "bucket").annotate(n=Count("id")):
        rows["user"][(a, r["sent_by_id"])][r["bucket"]] += r["n"]
    for r in Report.objects.filter(action=action, author__isnull=False).order_by().values("author_id").annotate(n=Count("id")):
        rows["user"][(a, r["author_id"])]["reports"] += r["n"]

    for r in (
        messages.annotate(h=TruncHour("created_at"))
        .values("h")
        .annotate(responses=_case_count(Q(direction=Message.Direction.INBOUND)), **_message_figures())
    ):
        h = r.pop("h")
        rows["hour"][(a, h)].update(_as_int(r))
    for r in convs.filter(opted_out_at__isnull=False).annotate(h=TruncHour("opted_out_at")).values("h").annotate(n=Count("id")):
        rows["hour"][(a, r["h"])]["opt_outs"] += r["n"]
    for r in clicks.filter(is_bot=False).annotate(h=TruncHour("clicked_at")).values("h").annotate(n=Count("id")):
        rows["hour"][(a, r["h"])]["link_clicks"] += r["n"]

    failed = messages.filter(direction=Message.Direction.OUTBOUND, status__in=FAILED)
    for r in (
        failed.annotate(code=Coalesce("error_code", Value(0), output_field=IntegerField())).values("code").annotate(n=Count("id"))
    ):
        rows["error"][(a, r["code"])]["count"] += r["n"]

    latest = Report.objects.filter(id__in=convs.filter(latest_report__isnull=False).values("latest_report_id"))
    for tags, fields in latest.values_list("tags", "custom_fields").iterator(chunk_size=5000):
        for kind, key, value in report_values(tags, fields):
            rows["breakdown"][(a, kind, key, value)]["count"] += 1
    for r in messages.exclude(response_script="").values("response_script").annotate(n=Count("id")):
        rows["breakdown"][(a, "script_uses", r["response_script"], "")]["count"] += r["n"]
    for r in messages.exclude(reply_to_script="").values("reply_to_script").annotate(n=Count("id")):
        rows["breakdown"][(a, "script_replies", r["reply_to_script"], "")]["count"] += r["n"]

    return {
        table: {k: {n: v for n, v in c.items() if v} for k, c in keyed.items() if any(c.values())}
        for table, keyed in rows.items()
    }


TABLE_MODELS = {
    "action": (ActionStats, ("action_id",)),
    "user": (ActionUserStats, ("action_id", "user_id")),
    "hour": (ActionHourStats, ("action_id", "hour")),
    "error": (ActionErrorStats, ("action_id", "error_code")),
    "breakdown": (ActionBreakdown, ("action_id", "kind", "key", "value")),
}


def current_rows(action: Action) -> dict[str, dict[tuple, dict[str, int]]]:
    """The aggregate rows as the writers left them (shards summed), zero rows dropped."""
    out: dict[str, dict[tuple, dict[str, int]]] = {}
    for table, (model, key_cols) in TABLE_MODELS.items():
        names = counter_names(model)
        keyed: dict[tuple, Counter] = defaultdict(Counter)
        for row in model.objects.filter(action=action).values(*key_cols, *names):
            keyed[tuple(row[k] for k in key_cols)].update({n: row[n] for n in names})
        out[table] = {k: {n: v for n, v in c.items() if v} for k, c in keyed.items() if any(c.values())}
    return out


def diff_rows(have: dict, want: dict) -> list[str]:
    drift = []
    for table in TABLE_MODELS:
        h, w = have.get(table, {}), want.get(table, {})
        for key in sorted(set(h) | set(w), key=str):
            if h.get(key, {}) != w.get(key, {}):
                drift.append(f"{table} {key}: have {h.get(key, {})} want {w.get(key, {})}")
    return drift


@transaction.atomic
def recompute_stats(action: Action, *, rebuild_conversations: bool = True) -> list[str]:
    """Rebuild the action's aggregates from raw tables; returns the drift that was repaired."""
    Action.objects.select_for_update(no_key=True).filter(pk=action.pk).first()
    locked = Conversation.objects.filter(action=action).order_by("id").select_for_update()
    list(locked.values_list("id", flat=True))
    if rebuild_conversations:
        recompute_conversations(action)
    want = expected_rows(action)
    have = current_rows(action)
    drift = diff_rows(have, want)
    if drift:
        for table, (model, key_cols) in TABLE_MODELS.items():
            model.objects.filter(action=action).delete()
            objs = []
            for key, counts in want.get(table, {}).items():
                fields = dict(zip(key_cols, key, strict=True))
                objs.append(model(**fields, **counts))
            model.objects.bulk_create(objs, batch_size=2000)
    return drift
