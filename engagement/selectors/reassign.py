"""Which conversations a re-assignment takes, and the preview an admin confirms."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from actions.models import Action, Conversation
from engagement.models import Reassignment

# CONTRACT §3: `all` is every conversation the user holds; the others are the §4 sets.
SCOPES = {
    Reassignment.Scope.ALL: Q(),
    Reassignment.Scope.NEEDS_ATTENTION: Q(needs_attention=True),
    Reassignment.Scope.UNSENT: Q(has_initial=False, contact_opted_out=False),
}


@dataclass(frozen=True)
class ConversationFilter:
    """Narrows a scope: a tag of the latest report, the latest error code, or needing
    attention for more than N hours."""

    tags: tuple[str, ...] = ()
    error_codes: tuple[int, ...] = ()
    attention_hours: float | None = None
    now: datetime = field(default_factory=timezone.now)

    def q(self) -> Q:
        where = Q()
        for tag in self.tags:
            where &= Q(latest_report__tags__contains=[tag])
        if self.error_codes:
            where &= Q(last_error_code__in=self.error_codes)
        if self.attention_hours is not None:
            where &= Q(needs_attention=True, needs_attention_since__lte=self.now - timedelta(hours=self.attention_hours))
        return where

    def as_dict(self) -> dict:
        out: dict = {}
        if self.tags:
            out["tags"] = list(self.tags)
        if self.error_codes:
            out["error_codes"] = list(self.error_codes)
        if self.attention_hours is not None:
            out["attention_hours"] = self.attention_hours
        return out


def reassignable_conversations(
    *, action: Action, from_user_id: int, scope: str, conversation_filter: ConversationFilter
) -> QuerySet[Conversation]:
    return Conversation.objects.filter(SCOPES[scope], conversation_filter.q(), action=action, assigned_user_id=from_user_id)


def even_split(total: int, parts: int) -> list[int]:
    """How many each of `parts` targets gets: round robin in id order, so at most one apart."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def reassignment_preview(
    *, action: Action, from_user_id: int, to_user_ids: list[int], scope: str, conversation_filter: ConversationFilter
) -> dict:
    matching = reassignable_conversations(
        action=action, from_user_id=from_user_id, scope=scope, conversation_filter=conversation_filter
    ).count()
    split = even_split(matching, len(to_user_ids)) if to_user_ids else []
    return {"matching": matching, "by_target": [{"user_id": u, "count": n} for u, n in zip(to_user_ids, split, strict=True)]}
