"""Sending to the fake VAN and PDI: the exact request bodies, success, their error bodies,
429 with Retry-After, 500s and timeouts, retries and guarded state transitions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from datasync.models import SyncItem
from datasync.ratelimit import TokenBucket
from datasync.selectors import datasync_block
from datasync.services.items import LEASE, MAX_ATTEMPTS, items_release_stuck, items_retry
from datasync.services.sending import connection_sync, connections_due, items_claim, items_record

from .helpers import VAN_DO_NOT_TEXT, VAN_SUPPORT, VAN_SUPPORTER_CODE, assert_consistent, file_report, map_source, opt_out

pytestmark = pytest.mark.django_db


def iso(moment) -> str:
    return moment.isoformat(timespec="seconds")


@pytest.fixture
def van_mapped(action, van_connection):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    map_source(action, van_connection, "field:support=5", VAN_SUPPORT)
    map_source(action, van_connection, "opt_out", VAN_DO_NOT_TEXT)
    return van_connection


def test_van_gets_one_call_per_person_and_a_separate_one_for_a_result_code(
    action, volunteer, make_conversation, van_mapped, fake_van
):
    conv = make_conversation(van_id="5001", phone="+12025550123", attributes={"phone_id": "778899"})
    report = file_report(conv, volunteer, ["supporter"], support="5")
    opt_out(conv, volunteer)
    opted_at = SyncItem.objects.get(action=action, source="opt_out").recorded_at

    run = connection_sync(connection_id=van_mapped.id)

    assert run.synced == 3
    context = {
        "contactTypeId": 37,
        "inputTypeId": 11,
        "phone": {"dialingPrefix": "1", "phoneNumber": "2025550123"},
        "phoneId": 778899,
    }
    assert [(r.path, r.body) for r in fake_van.posted("canvassResponses")] == [
        (
            "/v4/people/5001/canvassResponses",
            {
                "canvassContext": {**context, "dateCanvassed": iso(report.created_at)},
                "responses": [
                    {"surveyQuestionId": 101, "surveyResponseId": 1001, "type": "SurveyResponse"},
                    {"activistCodeId": 201, "action": "Apply", "type": "ActivistCode"},
                ],
            },
        ),
        (
            "/v4/people/5001/canvassResponses",
            {"canvassContext": {**context, "dateCanvassed": iso(opted_at)}, "resultCodeId": 130},
        ),
    ]
    assert set(SyncItem.objects.filter(action=action).values_list("status", "last_http_status", "attempts")) == {
        ("synced", 204, 1)
    }
    block = datasync_block(action)
    assert (block["synced"], block["pending"], block["last_synced_at"] is not None) == (3, 0, True)
    # Nothing is due any more: a second run sends nothing.
    assert connection_sync(connection_id=van_mapped.id).synced == 0
    assert len(fake_van.posted("canvassResponses")) == 2
    assert_consistent(action)


def test_van_error_body_fails_the_item_at_once_with_vans_words(action, volunteer, make_conversation, van_mapped, fake_van):
    conv = make_conversation(van_id="not-a-van-id")
    file_report(conv, volunteer, ["supporter"])
    run = connection_sync(connection_id=van_mapped.id)
    item = SyncItem.objects.get(action=action)
    text = "VAN 404: INVALID_PARAMETER: 'vanId' must be a valid VAN ID."
    assert (run.failed, item.status, item.attempts, item.last_http_status, item.last_error) == (1, "failed", 1, 404, text)
    assert datasync_block(action)["top_errors"] == [{"text": text, "count": 1}]
    assert_consistent(action)


def test_429_honours_retry_after_and_pauses_every_worker(action, volunteer, make_conversation, van_mapped, fake_van):
    first, second = make_conversation(van_id="5001"), make_conversation(van_id="5002")
    file_report(first, volunteer, ["supporter"])
    file_report(second, volunteer, ["supporter"])
    fake_van.fail_next("5001", (429, {"Retry-After": "120"}))
    before = timezone.now()

    run = connection_sync(connection_id=van_mapped.id)

    assert (run.synced, run.retrying) == (0, 1)
    items = {i.person_id: i for i in SyncItem.objects.filter(action=action)}
    assert items["5001"].status == "pending" and items["5001"].last_http_status == 429
    assert items["5001"].not_before >= before + timedelta(seconds=119)
    assert "VAN 429: TOO_MANY_REQUESTS" in items["5001"].last_error
    # The rest of the batch was given back untried, and the bucket holds every worker back.
    assert (items["5002"].status, items["5002"].attempts) == ("pending", 0)
    assert len(fake_van.posted("canvassResponses")) == 1
    assert TokenBucket.for_connection(van_mapped).try_take() > 100

    TokenBucket.for_connection(van_mapped).reset()
    SyncItem.objects.filter(action=action).update(not_before=timezone.now())
    assert connection_sync(connection_id=van_mapped.id).synced == 2
    assert dict(SyncItem.objects.filter(action=action).values_list("person_id", "attempts")) == {"5001": 2, "5002": 1}
    assert_consistent(action)


def test_500_retries_with_backoff_and_fails_once_out_of_attempts(action, volunteer, make_conversation, van_mapped, fake_van):
    conv = make_conversation(van_id="5001")
    file_report(conv, volunteer, ["supporter"])
    fake_van.fail_next("5001", (500, {}), (500, {}))
    connection_sync(connection_id=van_mapped.id)
    item = SyncItem.objects.get(action=action)
    assert (item.status, item.attempts, item.last_http_status) == ("pending", 1, 500)
    assert item.last_error == "VAN 500: INTERNAL_SERVER_ERROR: HTTP 500."
    assert item.not_before > timezone.now() + timedelta(seconds=25)
    assert connections_due() == []

    SyncItem.objects.filter(pk=item.pk).update(not_before=timezone.now(), attempts=MAX_ATTEMPTS - 1)
    connection_sync(connection_id=van_mapped.id)
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("failed", MAX_ATTEMPTS)
    assert datasync_block(action)["failed"] == 1
    assert_consistent(action)


def test_a_timeout_is_retried(action, volunteer, make_conversation, van_mapped, fake_van):
    conv = make_conversation(van_id="5001")
    file_report(conv, volunteer, ["supporter"])
    fake_van.delay = 1.5  # the client waits 1s (DATASYNC_HTTP_TIMEOUT in these tests)
    connection_sync(connection_id=van_mapped.id)
    item = SyncItem.objects.get(action=action)
    assert (item.status, item.last_error, item.last_http_status) == ("pending", "VAN: no answer within 1s", None)
    fake_van.delay = 0
    SyncItem.objects.filter(pk=item.pk).update(not_before=timezone.now())
    assert connection_sync(connection_id=van_mapped.id).synced == 1
    assert_consistent(action)


def test_retrying_failed_items_queues_them_again(action, volunteer, make_conversation, van_mapped, fake_van):
    conv = make_conversation(van_id="5001")
    file_report(conv, volunteer, ["supporter"])
    fake_van.fail_next("5001", (400, {}))
    connection_sync(connection_id=van_mapped.id)
    assert datasync_block(action)["failed"] == 1
    assert items_retry(action=action) == 1
    assert items_retry(action=action) == 0  # a second click changes nothing
    block = datasync_block(action)
    assert (block["failed"], block["pending"], block["top_errors"]) == (0, 1, [])
    assert connection_sync(connection_id=van_mapped.id).synced == 1
    assert_consistent(action)


def test_a_second_worker_never_gets_claimed_rows_and_a_late_answer_changes_nothing(
    action, volunteer, make_conversation, van_mapped, fake_van
):
    conv = make_conversation(van_id="5001")
    file_report(conv, volunteer, ["supporter"])
    token, items = items_claim(connection=van_mapped)
    assert len(items) == 1
    assert items_claim(connection=van_mapped)[1] == []
    # The first worker dies; its lease runs out and the row is queued again.
    assert items_release_stuck(now=timezone.now() + LEASE + timedelta(seconds=1)) == 1
    SyncItem.objects.filter(action=action).update(not_before=timezone.now())
    assert connection_sync(connection_id=van_mapped.id).synced == 1
    # The dead worker's answer arriving late moves nothing and counts nothing.
    assert items_record(items=items, token=token, status=204).synced == 0
    item = SyncItem.objects.get(action=action)
    assert (item.status, item.attempts) == ("synced", 2)
    assert datasync_block(action)["synced"] == 1
    assert_consistent(action)


def test_pdi_flags_are_posted_in_a_batch_with_a_bearer_token_renewed_on_expiry(
    action, volunteer, make_conversation, pdi_connection, fake_pdi
):
    map_source(action, pdi_connection, "tag:supporter", {"type": "pdi_flag", "question_id": "Q1", "flag_id": "SUP"})
    map_source(action, pdi_connection, "opt_out", {"type": "pdi_flag", "question_id": "", "flag_id": "DNT"})
    first, second = make_conversation(pdi_id="P1"), make_conversation(pdi_id="P2")
    report = file_report(first, volunteer, ["supporter"])
    opt_out(second, volunteer)
    day = report.created_at.date().isoformat()

    assert connection_sync(connection_id=pdi_connection.id).synced == 2
    assert [r.body for r in fake_pdi.posted("/flags")] == [
        [
            {"pdiId": "P1", "flagId": "SUP", "acquisitionTypeId": "7", "flagEntryDate": day, "questionId": "Q1"},
            {"pdiId": "P2", "flagId": "DNT", "acquisitionTypeId": "7", "flagEntryDate": day},
        ]
    ]
    sessions = fake_pdi.sessions
    fake_pdi.expire_tokens()
    file_report(second, volunteer, ["supporter"])
    assert connection_sync(connection_id=pdi_connection.id).synced == 1
    assert fake_pdi.sessions == sessions + 1
    assert_consistent(action)


def test_pdi_refusal_fails_the_batch_with_pdis_words(action, volunteer, make_conversation, pdi_connection, fake_pdi):
    map_source(action, pdi_connection, "tag:supporter", {"type": "pdi_flag", "question_id": "Q1", "flag_id": "SUP"})
    file_report(make_conversation(pdi_id="P1"), volunteer, ["supporter"])
    fake_pdi.fail_next("flags", (400, {}))
    connection_sync(connection_id=pdi_connection.id)
    item = SyncItem.objects.get(action=action)
    assert (item.status, item.last_error, item.last_http_status) == ("failed", "PDI 400: HTTP 400.", 400)
    assert_consistent(action)


def test_a_paused_connection_gives_its_rows_back_untried(action, volunteer, make_conversation, van_mapped, fake_van):
    file_report(make_conversation(van_id="5001"), volunteer, ["supporter"])
    TokenBucket.for_connection(van_mapped).block_for(120)  # another worker was told 429
    before = timezone.now()
    assert connection_sync(connection_id=van_mapped.id).synced == 0
    assert fake_van.posted("canvassResponses") == []
    item = SyncItem.objects.get(action=action)
    assert (item.status, item.attempts, item.claim_token) == ("pending", 0, None)
    assert item.not_before >= before + timedelta(seconds=100)
    assert_consistent(action)
