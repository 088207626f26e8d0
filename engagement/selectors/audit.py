"""The organization's audit log as the page and the API read it: newest first, filtered by
kind (verb), actor and action, every choice scoped to the caller's organization."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from actions.models import Action
from orgs.tenancy import org_of

from ..models import AuditEvent


def audit_events(*, organization_id: int | None) -> QuerySet:
    return AuditEvent.objects.for_org(organization_id).select_related("actor", "action").order_by("-created_at", "-id")


class AuditFilterSet(django_filters.FilterSet):
    verb = django_filters.ChoiceFilter(label="Kind", choices=AuditEvent.Verb.choices, empty_label="Any kind")
    actor = django_filters.ModelChoiceFilter(label="By", queryset=get_user_model().objects.none(), empty_label="Anyone")
    action = django_filters.ModelChoiceFilter(label="Action", queryset=Action.objects.none(), empty_label="Any action")

    class Meta:
        model = AuditEvent
        fields = ["verb", "actor", "action"]

    def __init__(self, data=None, queryset=None, *, request: HttpRequest | None = None, prefix=None) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        org = org_of(request.user) if request is not None else None
        users = get_user_model().objects
        self.filters["actor"].queryset = (users.filter(membership__organization=org) if org else users.none()).order_by("email")
        self.filters["action"].queryset = Action.objects.for_org(org).order_by("-created_at")
