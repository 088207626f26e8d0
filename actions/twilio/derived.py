"""Conversation fields that depend on which outbound texts failed: when a message moves into
or out of failed/undelivered, the conversation's latest successful outbound and its latest
error are read again (after the message rows were written), as reporting.recompute does."""

from collections.abc import Iterable

from django.db.models import Max

from actions.models import Conversation, Message


def outbound_refresh(conversations: Iterable[Conversation]) -> None:
    """Set last_outbound_ok_at and last_error_code of locked conversations from their messages."""
    by_id = {c.id: c for c in conversations}
    if not by_id:
        return
    outbound = Message.objects.filter(conversation_id__in=by_id, direction=Message.Direction.OUTBOUND).order_by()
    ok = dict(
        outbound.exclude(status__in=Message.FAILED_STATUSES)
        .values("conversation_id")
        .annotate(latest=Max("created_at"))
        .values_list("conversation_id", "latest")
    )
    latest_error: dict[int, int | None] = {}
    failed = outbound.filter(status__in=Message.FAILED_STATUSES).order_by("conversation_id", "-created_at", "-id")
    for conversation_id, code in failed.values_list("conversation_id", "error_code"):
        latest_error.setdefault(conversation_id, code)
    for cid, conv in by_id.items():
        conv.last_outbound_ok_at = ok.get(cid)
        conv.last_error_code = latest_error.get(cid)
