"""The User Engagement table: one row per user the action was sent to, read from
ActionRecipient and reporting.ActionUserStats only (never counting messages), so a page
costs the same at 1k messages as at 3M."""

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.db.models import Case, F, FilteredRelation, FloatField, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat, Trim

from actions.errors import Invalid
from actions.models import Action, ActionRecipient
from reporting.models import ANSWER_BUCKETS

STATUSES = ("sent", "seen", "started", "completed")
# Figures of reporting.ActionUserStats shown as they are; `remaining` is its `unsent`.
STAT_COLUMNS = {
    "held": "held",
    "initial_messages": "initial_messages",
    "remaining": "unsent",
    "responses": "responses",
    "follow_ups": "follow_ups",
    "needs_attention": "needs_attention",
    "opt_outs": "opt_outs",
    "reports": "reports",
    "delivered": "delivered",
    "twilio_errors": "twilio_errors",
    "carrier_filtering": "carrier_filtering",
}
COLUMNS = (
    "user_id",
    "email",
    "name",
    "status",
    "performs",
    *STAT_COLUMNS,
    "answered",
    "median_answer_seconds",
    "last_active",
    "sent_at",
    "seen_at",
    "started_at",
)
# What `ordering` may name, and what each sorts by (status by its rank, not its text).
ORDERING = {column: column for column in COLUMNS} | {"status": "status_rank"}
DEFAULT_ORDERING = "name"


def _stat(name: str) -> Coalesce:
    return Coalesce(F(f"stats__{name}"), 0)


class HistogramMedian(Func):
    """The median of a user's answer-time histogram (the ANSWER_BUCKETS columns), found by
    linear interpolation inside the bucket that holds it, so within one bucket of the true
    median; the open last bucket answers its lower bound; NULL with no answers.

    Written as one SQL CASE from the compiled columns: built from ORM expressions, the
    repeated running sums made resolving the query cost more than running it."""

    output_field = FloatField()

    def __init__(self) -> None:
        super().__init__(*[F(f"stats__{name}") for name, _ in ANSWER_BUCKETS])

    def as_sql(self, compiler, connection, **extra):
        columns = []
        for expression in self.source_expressions:
            sql, params = compiler.compile(expression)
            assert not params  # plain column references
            columns.append(f"COALESCE({sql}, 0)")
        total = "(" + " + ".join(columns) + ")"
        half = f"({total} * 0.5)"
        whens, before, lower = [], "0", 0
        for (_, upper), count in zip(ANSWER_BUCKETS, columns, strict=True):
            reached = f"({before} + {count})"
            if upper is None:
                estimate = f"{float(lower)}"
            else:
                estimate = f"({float(lower)} + {float(upper - lower)} * ({half} - {before}) / NULLIF({count} * 1.0, 0))"
            whens.append(f"WHEN {total} > 0 AND {reached} >= {half} THEN {estimate}")
            before, lower = reached, upper
        return f"(CASE {' '.join(whens)} END)", []


# The status reached, highest first (starting implies seen, CONTRACT §3).
STATUS_STEPS = [
    ("completed", Q(completions__gt=0)),
    ("started", Q(started_at__isnull=False)),
    ("seen", Q(seen_at__isnull=False)),
]


def engagement_queryset(*, action: Action) -> QuerySet[ActionRecipient]:
    """Every recipient of the action with the table's columns annotated (one joined query)."""
    return (
        ActionRecipient.objects.filter(action=action)
        .annotate(stats=FilteredRelation("action__user_stats", condition=Q(action__user_stats__user=F("user"))))
        .annotate(
            email=F("user__email"),
            name=Trim(Concat(F("user__first_name"), Value(" "), F("user__last_name"))),
            status=Case(*[When(q, then=Value(s)) for s, q in STATUS_STEPS], default=Value("sent")),
            status_rank=Case(
                *[When(q, then=Value(STATUSES.index(s))) for s, q in STATUS_STEPS], default=Value(0), output_field=IntegerField()
            ),
            performs=F("completions"),
            answered=sum((_stat(name) for name, _ in ANSWER_BUCKETS[1:]), _stat(ANSWER_BUCKETS[0][0])),
            median_answer_seconds=HistogramMedian(),
            last_active=F("last_active_at"),
            **{column: _stat(field) for column, field in STAT_COLUMNS.items()},
        )
    )


def engagement_order(queryset: QuerySet, ordering: str | None) -> QuerySet:
    """Sort by a comma-separated list of columns (`-` for descending); user id breaks ties."""
    keys = []
    for raw in [p.strip() for p in (ordering or DEFAULT_ORDERING).split(",") if p.strip()]:
        desc, name = raw.startswith("-"), raw.lstrip("-")
        if name not in ORDERING:
            raise Invalid({"ordering": f"cannot sort by {name!r}; use one of {', '.join(ORDERING)}"})
        expr = F(ORDERING[name])
        keys.append(expr.desc(nulls_last=True) if desc else expr.asc(nulls_last=True))
    return queryset.order_by(*keys, "user_id")


def engagement_filtered(*, action: Action, filters: Mapping | None = None) -> QuerySet[ActionRecipient]:
    """The action's recipients matching the filters (engagement.filters); a bad filter
    value raises Invalid naming it."""
    from engagement.filters import engagement_filter

    return engagement_filter(action=action, queryset=engagement_queryset(action=action), data=filters or {})


def engagement_rows(*, action: Action, filters: Mapping | None = None, ordering: str | None = None) -> QuerySet:
    """The table as dicts of COLUMNS, filtered and sorted like the page: what the API pages
    through and the `users` export streams."""
    return engagement_order(engagement_filtered(action=action, filters=filters), ordering).values(*COLUMNS)


def engagement_user_ids(*, action: Action, filters: Mapping | None = None) -> list[int]:
    """Every matching user, not just a page: who a bulk action reaches."""
    return list(engagement_filtered(action=action, filters=filters).order_by("user_id").values_list("user_id", flat=True))


def user_names(*, user_ids: set[int]) -> dict[int, str]:
    """Display names (full name, else email) of users, in one query."""
    rows = get_user_model().objects.filter(id__in=user_ids).values_list("id", "first_name", "last_name", "email")
    return {uid: f"{first} {last}".strip() or email for uid, first, last, email in rows}
