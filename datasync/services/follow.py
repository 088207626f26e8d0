"""The facts DataSync follows: a report filed, an opt-out, a mapping changed. Each rewrites the
outbox rows it affects inside the transaction that changed the fact."""

from actions.models import Action, Conversation, OptOutEvent, Report

from ..sources import OPT_OUT, report_sources
from .outbox import Answers, action_lock, outbox_reconcile

CHUNK = 2000


def current_answers(conversation: Conversation, report: Report | None = None) -> Answers:
    """The conversation's latest report (`report` when it was just filed) and opt-out, as outbox values."""
    values = {}
    report = report or conversation.latest_report
    if report is not None:
        values = dict.fromkeys(report_sources(report.tags, report.custom_fields), report.created_at)
    if conversation.opted_out_at is not None:
        values[OPT_OUT] = conversation.opted_out_at
    return Answers(conversation, values)


def outbox_follow_report(*, report: Report) -> None:
    """The report is now the conversation's latest: its answers replace the previous ones."""
    action_lock(report.action_id, shared=True)
    outbox_reconcile(action=report.action, answers=[current_answers(report.conversation, report)])


def outbox_follow_opt_out(*, event: OptOutEvent) -> None:
    """An opt-out in a conversation of an action (an import or an unknown phone has none)."""
    if event.kind != OptOutEvent.Kind.OUT or event.conversation_id is None:
        return
    conversation = event.conversation
    action_lock(conversation.action_id, shared=True)
    outbox_reconcile(action=conversation.action, answers=[Answers(conversation, {OPT_OUT: event.created_at})], scope={OPT_OUT})


def _holders(action: Action, source: str) -> set[int]:
    """Conversations whose current answers hold `source` (a mapping change is rare: one pass)."""
    if source == OPT_OUT:
        return set(Conversation.objects.filter(action=action, opted_out_at__isnull=False).values_list("id", flat=True))
    rows = Conversation.objects.filter(action=action, latest_report__isnull=False).values_list(
        "id", "latest_report__tags", "latest_report__custom_fields"
    )
    return {cid for cid, tags, fields in rows.iterator(chunk_size=5000) if source in report_sources(tags or [], fields or {})}


def outbox_follow_source(*, action: Action, source: str) -> None:
    """A mapping of `source` changed: rewrite that source's rows of every conversation holding it."""
    from ..models import SyncItem

    action_lock(action.id, shared=False)
    ids = _holders(action, source)
    ids |= set(SyncItem.objects.filter(action=action, source=source).values_list("conversation_id", flat=True))
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        conversations = Conversation.objects.filter(id__in=ordered[start : start + CHUNK]).select_related(
            "contact", "latest_report"
        )
        answers = [current_answers(c) for c in conversations]
        outbox_reconcile(action=action, answers=answers, scope={source})
