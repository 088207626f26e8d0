"""Filing a report or an opt-out writes the outbox rows its answers call for, in the same
transaction, and the summary counters move with them."""

import pytest
from django.db import transaction

from datasync.models import SyncItem
from datasync.selectors import datasync_block

from .helpers import VAN_DO_NOT_TEXT, VAN_SUPPORT, VAN_SUPPORTER_CODE, assert_consistent, file_report, map_source, opt_out, states

pytestmark = pytest.mark.django_db


def test_unmapped_tags_and_choices_are_skipped_with_reason_no_mapping(action, volunteer, make_conversation):
    conv = make_conversation(van_id="5001")
    file_report(conv, volunteer, ["supporter"], support="5", notes="call back later", age="42")
    # Free-form fields (notes, age) are not tracked until mapped; tags and choices are.
    assert states(action) == {
        (conv.contact.phone, "tag:supporter"): ("skipped", "no mapping"),
        (conv.contact.phone, "field:support=5"): ("skipped", "no mapping"),
    }
    block = datasync_block(action)
    assert (block["skipped"], block["pending"], block["synced"], block["failed"]) == (2, 0, 0, 0)
    assert [r["source"] for r in block["by_source"]] == ["tag:supporter", "field:support=5"]
    assert_consistent(action)


def test_mapped_values_are_pending_and_a_contact_without_van_id_is_skipped(action, volunteer, make_conversation, van_connection):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    map_source(action, van_connection, "field:support=5", VAN_SUPPORT)
    with_id, without_id = make_conversation(van_id="5001"), make_conversation()
    file_report(with_id, volunteer, ["supporter"], support="5")
    file_report(without_id, volunteer, ["supporter"])
    rows = {(r.conversation_id, r.source): r for r in SyncItem.objects.filter(action=action)}
    assert rows[(with_id.id, "tag:supporter")].status == "pending"
    assert rows[(with_id.id, "tag:supporter")].target == VAN_SUPPORTER_CODE
    assert rows[(with_id.id, "field:support=5")].status == "pending"
    assert (rows[(without_id.id, "tag:supporter")].status, rows[(without_id.id, "tag:supporter")].skip_reason) == (
        "skipped",
        "no VAN id",
    )
    assert datasync_block(action)["pending"] == 2
    assert_consistent(action)


def test_filing_the_same_answers_again_adds_nothing(action, volunteer, make_conversation, van_connection):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    conv = make_conversation(van_id="5001")
    file_report(conv, volunteer, ["supporter"], support="5")
    before = list(SyncItem.objects.filter(action=action).order_by("id").values_list("id", "status"))
    file_report(conv, volunteer, ["supporter"], support="5")
    assert list(SyncItem.objects.filter(action=action).order_by("id").values_list("id", "status")) == before
    assert_consistent(action)


def test_a_changed_answer_replaces_the_unsent_one_but_not_what_was_synced(action, volunteer, make_conversation, van_connection):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    map_source(action, van_connection, "field:support=5", VAN_SUPPORT)
    conv = make_conversation(van_id="5001")
    file_report(conv, volunteer, ["supporter"], support="5")
    SyncItem.objects.filter(action=action, source="field:support=5").update(status="synced")
    _fix_counters(action)
    file_report(conv, volunteer, ["undecided"], support="3")
    assert states(action) == {
        ("5001", "field:support=5"): ("synced", ""),  # history stays
        (conv.contact.phone, "tag:undecided"): ("skipped", "no mapping"),
        (conv.contact.phone, "field:support=3"): ("skipped", "no mapping"),
    }
    assert_consistent(action)


def _fix_counters(action):
    """After a test moved rows by hand: rebuild the counters the way a repair would."""
    from datasync.counters import SyncCounts
    from datasync.models import SyncErrorStats, SyncStats

    SyncStats.objects.filter(action=action).delete()
    SyncErrorStats.objects.filter(action=action).delete()
    counts = SyncCounts()
    for row in SyncItem.objects.filter(action=action).values("source", "status", "last_error"):
        counts.add(action_id=action.id, **row)
    counts.write()


def test_opt_out_writes_a_row_for_the_conversations_action(action, volunteer, make_conversation, van_connection):
    map_source(action, van_connection, "opt_out", VAN_DO_NOT_TEXT)
    conv = make_conversation(van_id="5001")
    opt_out(conv, volunteer)
    item = SyncItem.objects.get(action=action)
    assert (item.source, item.status, item.target) == ("opt_out", "pending", VAN_DO_NOT_TEXT)
    # A later report keeps the opt-out (the conversation still opted out here).
    file_report(conv, volunteer, ["supporter"])
    assert SyncItem.objects.filter(action=action, source="opt_out", status="pending").count() == 1
    assert_consistent(action)


def test_two_contacts_with_one_van_id_send_the_value_once(action, volunteer, make_conversation, van_connection):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    first, second = make_conversation(van_id="5001"), make_conversation(van_id="5001")
    file_report(first, volunteer, ["supporter"])
    file_report(second, volunteer, ["supporter"])
    assert SyncItem.objects.filter(action=action, source="tag:supporter").count() == 1
    assert_consistent(action)


def test_mapping_a_source_later_turns_its_skipped_rows_into_pending(action, volunteer, make_conversation, van_connection):
    convs = [make_conversation(van_id=f"50{i:02d}") for i in range(3)]
    for conv in convs:
        file_report(conv, volunteer, ["supporter"])
    assert datasync_block(action)["skipped"] == 3
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    assert {v for v in states(action).values()} == {("pending", "")}
    assert datasync_block(action)["pending"] == 3
    # Mapping it elsewhere retargets rows not sent yet; removing the mapping makes them unmapped again.
    mapping = map_source(action, van_connection, "tag:supporter", VAN_SUPPORT)
    assert list(SyncItem.objects.filter(action=action).values_list("target", flat=True)) == [VAN_SUPPORT] * 3
    from datasync.services.mappings import mapping_delete

    mapping_delete(mapping=mapping)
    assert {v for v in states(action).values()} == {("skipped", "no mapping")}
    assert_consistent(action)


def test_rows_are_written_in_the_report_transaction(action, volunteer, make_conversation, van_connection):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    conv = make_conversation(van_id="5001")
    with pytest.raises(RuntimeError), transaction.atomic():
        file_report(conv, volunteer, ["supporter"])
        assert SyncItem.objects.filter(action=action).count() == 1
        raise RuntimeError("the writer fails after filing")
    assert SyncItem.objects.filter(action=action).count() == 0
    assert_consistent(action)
