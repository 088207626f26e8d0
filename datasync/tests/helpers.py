"""Small helpers shared by the DataSync tests."""

from actions.services.conversations import conversation_file_report, conversation_opt_out
from datasync.models import SyncItem, SyncMapping
from datasync.selectors import datasync_block, datasync_recount
from reporting.recompute import recompute_stats

VAN_SUPPORT = {"type": "survey_response", "question_id": 101, "response_id": 1001}
VAN_SUPPORTER_CODE = {"type": "activist_code", "id": 201}
VAN_DO_NOT_TEXT = {"type": "result_code", "id": 130}


def file_report(conversation, author, tags=(), **fields):
    return conversation_file_report(conversation=conversation, author=author, tags=list(tags), custom_fields=fields)


def opt_out(conversation, by=None):
    return conversation_opt_out(conversation=conversation, by=by)


def map_source(action, connection, source, target) -> SyncMapping:
    from datasync.services.mappings import mapping_set

    return mapping_set(action=action, connection=connection, source=source, target=target)[0]


def states(action) -> dict[tuple[str, str], tuple[str, str]]:
    """(person or phone, source) -> (status, skip reason) for every row of the action."""
    rows = SyncItem.objects.filter(action=action).select_related("contact")
    return {(r.person_id or r.contact.phone, r.source): (r.status, r.skip_reason) for r in rows}


def assert_consistent(action) -> None:
    """Counters equal a recount of the rows, and the core aggregates are untouched by DataSync."""
    assert datasync_recount(action=action) == []
    assert recompute_stats(action) == []
    block = datasync_block(action)
    assert (
        block["synced"] + block["pending"] + block["failed"] + block["skipped"] == SyncItem.objects.filter(action=action).count()
    )
