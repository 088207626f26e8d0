"""Reads the engagement pages, API, tasks and exports share."""

from .audit import AuditFilterSet, audit_events
from .reassign import ConversationFilter, reassignable_conversations, reassignment_preview
from .table import COLUMNS, engagement_filtered, engagement_queryset, engagement_rows, engagement_user_ids, user_names

__all__ = [
    "COLUMNS",
    "AuditFilterSet",
    "ConversationFilter",
    "audit_events",
    "engagement_filtered",
    "engagement_queryset",
    "engagement_rows",
    "engagement_user_ids",
    "reassignable_conversations",
    "reassignment_preview",
    "user_names",
]
