"""The User Engagement filters (django-filter), named as they appear in the page's URL and
the API's query string, so a filtered view can be shared as a link."""

from collections.abc import Mapping
from datetime import timedelta

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from actions.errors import Invalid
from actions.models import Action, ActionRecipient

from .selectors.table import STATUSES

ACTIVE_WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
ACTIVE_LABELS = {"1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}


def _toggle(label: str, condition: Q) -> django_filters.BooleanFilter:
    """A toggle: on (true) keeps the users the condition holds for, false the others."""

    def method(queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(condition) if value else queryset.exclude(condition)

    return django_filters.BooleanFilter(label=label, method=method)


class EngagementFilterSet(django_filters.FilterSet):
    received = django_filters.ModelMultipleChoiceFilter(
        label="Activities received", queryset=Action.objects.none(), method="filter_received", distinct=False
    )
    status = django_filters.MultipleChoiceFilter(
        label="Status", choices=[(s, s.title()) for s in STATUSES], method="filter_status", distinct=False
    )
    active_within = django_filters.ChoiceFilter(
        label="Last active", choices=list(ACTIVE_LABELS.items()), method="filter_active_within", empty_label="Any time"
    )
    q = django_filters.CharFilter(label="Name or email contains", method="filter_q")
    min_initials = django_filters.NumberFilter(label="Minimum initials sent", field_name="initial_messages", lookup_expr="gte")
    has_needs_attention = _toggle("Has needs-attention contacts", Q(needs_attention__gt=0))
    has_unsent = _toggle("Has unsent contacts", Q(remaining__gt=0))
    completed = _toggle("Completed", Q(completions__gt=0))
    seen_not_started = _toggle("Seen but not started", Q(seen_at__isnull=False, started_at__isnull=True))
    never_seen = _toggle("Never seen", Q(seen_at__isnull=True, started_at__isnull=True))

    def __init__(self, *args, action: Action, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        self.filters["received"].queryset = Action.objects.for_org(action.organization_id).order_by("-created_at")

    def filter_received(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # Users who also received every chosen action (the page presets this one).
        for other in value:
            got = ActionRecipient.objects.filter(action=other, user_id=OuterRef("user_id"))
            queryset = queryset.filter(Exists(got))
        return queryset

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(status_rank__in=[STATUSES.index(s) for s in value]) if value else queryset

    def filter_active_within(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(last_active_at__gte=timezone.now() - ACTIVE_WINDOWS[value]) if value else queryset

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value))


FILTER_NAMES = tuple(EngagementFilterSet.base_filters)
TOGGLES = ("has_needs_attention", "has_unsent", "completed", "seen_not_started", "never_seen")


def engagement_filter(*, action: Action, queryset: QuerySet, data: Mapping) -> QuerySet:
    """Apply the filters in `data` (a QueryDict or a dict); a bad value is a 400 naming it."""
    filterset = EngagementFilterSet(data=data, queryset=queryset, action=action)
    if not filterset.is_valid():
        raise Invalid({name: [str(e) for e in errors] for name, errors in filterset.errors.items()})
    return filterset.qs
