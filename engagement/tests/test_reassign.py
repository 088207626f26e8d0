"""Re-assignment (CONTRACT §3): scopes, even splits, filters, validation, audit and undo,
with the aggregates held equal to a recount after every move."""

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.models import ActionRecipient, Conversation
from engagement.models import AuditEvent, InboxMessage, Reassignment, ReassignmentMove
from orgs.models import Membership
from reporting.models import ActionUserStats
from reporting.recompute import recompute_stats
from tests.factories import make_member

from .helpers import conversations, opt_out, reply, report, send, status

URL = "/api/v1/actions/{}/reassignments/"


@pytest.fixture
def ann(org):
    return make_member(org, first_name="Ann", last_name="Sender")


@pytest.fixture
def bob(org):
    return make_member(org, first_name="Bob", last_name="Replier")


@pytest.fixture
def worked(action, ann, twilio):
    """Ann holds 8 conversations: 2 unsent, 1 opted out before any text, 2 needing
    attention (one reported earlier, one never), 1 answered and reported, 2 sent only."""
    c = conversations(action, ann, 8)
    opt_out(c[2], ann)
    for conv in c[3:]:
        send(conv, ann)
    reply(c[3])
    reply(c[4])
    report(c[4], ann, ["supporter"])
    reply(c[4], "one more thing")
    reply(c[5])
    report(c[5], ann, ["undecided"])
    send(c[5], ann, "Thanks!")
    return c


def user_stats(action, user) -> dict:
    row = ActionUserStats.objects.filter(action=action, user=user).values().first() or {}
    return {k: v for k, v in row.items() if k not in ("id", "action_id", "user_id") and v}


def test_needs_attention_moves_only_those_and_their_figures_follow_the_holder(admin_api, action, ann, bob, worked):
    before = user_stats(action, ann)
    assert before["needs_attention"] == 2 and before["held"] == 8
    r = admin_api.post(URL.format(action.id), {"from_user": ann.id, "to_user": bob.id, "scope": "needs_attention"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["moved"] == 2
    assert set(Conversation.objects.filter(assigned_user=bob).values_list("id", flat=True)) == {worked[3].id, worked[4].id}
    ann_after, bob_after = user_stats(action, ann), user_stats(action, bob)
    assert bob_after == {
        "held": 2,
        "responses": 3,
        "needs_attention": 2,
        "reports_available": 2,
        "reports_filled": 1,
    }
    # What Ann sent and filed stays hers; what she holds moved.
    assert ann_after["initial_messages"] == before["initial_messages"] == 5
    assert ann_after["reports"] == before["reports"] == 2
    assert ann_after["held"] == 6 and "needs_attention" not in ann_after
    assert recompute_stats(action) == []


def test_unsent_scope_skips_opted_out_and_sent_and_sends_the_action_to_a_new_target(admin_api, action, ann, bob, worked):
    assert not ActionRecipient.objects.filter(action=action, user=bob).exists()
    r = admin_api.post(URL.format(action.id), {"from_user": ann.id, "to_user": bob.id, "scope": "unsent"}, format="json")
    assert r.status_code == 200 and r.json()["moved"] == 2
    assert set(Conversation.objects.filter(assigned_user=bob).values_list("id", flat=True)) == {worked[0].id, worked[1].id}
    assert ActionRecipient.objects.filter(action=action, user=bob).exists()
    assert user_stats(action, bob) == {"held": 2, "unsent": 2}
    assert recompute_stats(action) == []


def test_all_scope_moves_everything_held_including_opted_out(admin_api, action, ann, bob, worked):
    r = admin_api.post(URL.format(action.id), {"from_user": ann.id, "to_user": bob.id, "scope": "all"}, format="json")
    assert r.json()["moved"] == 8
    assert not Conversation.objects.filter(assigned_user=ann).exists()
    assert user_stats(action, bob)["opt_outs"] == 1
    assert recompute_stats(action) == []


def test_several_targets_split_evenly(admin_api, org, action, ann, worked):
    targets = [make_member(org) for _ in range(3)]
    body = {"from_user": ann.id, "to_users": [t.id for t in targets], "scope": "all"}
    preview = admin_api.post(URL.format(action.id) + "preview/", body, format="json")
    assert preview.status_code == 200
    assert preview.json() == {
        "matching": 8,
        "by_target": [{"user_id": t.id, "count": n} for t, n in zip(targets, [3, 3, 2], strict=True)],
    }
    r = admin_api.post(URL.format(action.id), body, format="json")
    assert r.status_code == 200 and r.json()["moved"] == 8
    counts = [Conversation.objects.filter(assigned_user=t).count() for t in targets]
    assert counts == [3, 3, 2]
    assert recompute_stats(action) == []


def test_conversation_filters_by_tag_error_code_and_hours_needing_attention(admin_api, action, ann, bob, worked):
    def moved(**extra):
        body = {"from_user": ann.id, "to_user": bob.id, "scope": "all", **extra}
        return admin_api.post(URL.format(action.id) + "preview/", body, format="json").json()["matching"]

    assert moved(tags=["supporter"]) == 1
    assert moved(tags=["supporter", "undecided"]) == 0
    failed = conversations(action, ann, 1)[0]
    status(send(failed, ann), "undelivered", 30007)
    assert moved(error_codes=[30007]) == 1
    assert moved(error_codes=[21610]) == 0
    Conversation.objects.filter(pk=worked[3].pk).update(needs_attention_since=timezone.now() - timedelta(hours=30))
    assert moved(attention_hours=24) == 1
    assert moved(attention_hours=48) == 0
    r = admin_api.post(
        URL.format(action.id), {"from_user": ann.id, "to_user": bob.id, "scope": "all", "error_codes": [30007]}, format="json"
    )
    assert r.json()["moved"] == 1 and r.json()["filters"] == {"error_codes": [30007]}
    assert Conversation.objects.get(pk=failed.pk).assigned_user == bob
    assert recompute_stats(action) == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"to_user": "ann", "scope": "all"}, "to_user"),
        ({"to_user": "outsider", "scope": "all"}, "to_user"),
        ({"from_user": "outsider", "to_user": "bob", "scope": "all"}, "from_user"),
        ({"to_user": "bob", "scope": "everything"}, "scope"),
        ({"scope": "all"}, "to_user"),
        ({"to_user": "bob", "scope": "all", "attention_hours": -1}, "attention_hours"),
    ],
)
def test_bad_requests_answer_400_naming_the_field_and_move_nothing(admin_api, action, ann, bob, outsider, worked, body, field):
    people = {"ann": ann.id, "bob": bob.id, "outsider": outsider.id}
    body = {"from_user": ann.id, **{k: people.get(v, v) if isinstance(v, str) else v for k, v in body.items()}}
    r = admin_api.post(URL.format(action.id), body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()
    assert Conversation.objects.filter(assigned_user=ann).count() == 8
    assert not Reassignment.objects.exists()


def test_undo_moves_back_exactly_what_the_target_still_holds(admin_api, action, ann, bob, worked, org):
    carol = make_member(org)
    r = admin_api.post(URL.format(action.id), {"from_user": ann.id, "to_user": bob.id, "scope": "all"}, format="json")
    rid = r.json()["id"]
    assert ReassignmentMove.objects.filter(reassignment_id=rid).count() == 8
    # Bob passes one on to Carol; Ann picks up a new one meanwhile.
    admin_api.post(URL.format(action.id), {"from_user": bob.id, "to_user": carol.id, "scope": "needs_attention"}, format="json")
    extra = conversations(action, ann, 1)[0]
    undo = admin_api.post(r.json()["undo_url"])
    assert undo.status_code == 200, undo.content
    assert undo.json()["undone_moved"] == 6 and undo.json()["undo_url"] is None
    assert set(Conversation.objects.filter(assigned_user=ann).values_list("id", flat=True)) == {
        *[c.id for c in worked if c.id not in (worked[3].id, worked[4].id)],
        extra.id,
    }
    assert Conversation.objects.filter(assigned_user=carol).count() == 2
    again = admin_api.post(f"/api/v1/actions/{action.id}/reassignments/{rid}/undo/")
    assert again.status_code == 409
    verbs = list(AuditEvent.objects.filter(action=action).order_by("id").values_list("verb", flat=True))
    assert verbs == ["reassign", "reassign", "reassign_undo"]
    undo_event = AuditEvent.objects.filter(verb="reassign_undo").get()
    assert undo_event.summary == {"reassignment": rid, "moved_back": 6, "kept": 2}
    assert recompute_stats(action) == []


def test_targets_hear_about_it_and_see_the_conversations_at_once(admin_api, action, ann, bob, worked):
    from conftest import client_for

    admin_api.post(URL.format(action.id), {"from_user": ann.id, "to_user": bob.id, "scope": "needs_attention"}, format="json")
    bob_api = client_for(bob)
    r = bob_api.get(f"/api/v1/me/actions/{action.id}/conversations/?state=needs_attention")
    assert r.status_code == 200 and r.json()["count"] == 2
    assert InboxMessage.objects.filter(user=bob).count() == 1
    assert bob_api.get("/api/v1/me/inbox/").json()["results"][0]["subject"] == "Contacts re-assigned to you"


def test_audit_record_and_list(admin_api, action, ann, bob, worked, admin_user):
    admin_api.post(URL.format(action.id), {"from_user": ann.id, "to_user": bob.id, "scope": "unsent"}, format="json")
    event = AuditEvent.objects.get()
    assert (event.actor, event.verb, event.action_id) == (admin_user, "reassign", action.id)
    assert event.summary == {"from_user": ann.id, "to_users": [bob.id], "scope": "unsent", "filters": {}, "moved": 2}
    listed = admin_api.get(URL.format(action.id)).json()
    assert listed["count"] == 1 and listed["results"][0]["moved"] == 2
    audit = admin_api.get(f"/api/v1/audit/?action={action.id}").json()
    assert audit["count"] == 1 and audit["results"][0]["actor_email"] == admin_user.email


def test_outsider_gets_404_and_volunteer_403(admin_api, outsider_api, volunteer_api, action, ann, bob, worked):
    body = {"from_user": ann.id, "to_user": bob.id, "scope": "all"}
    rid = admin_api.post(URL.format(action.id), {**body, "scope": "unsent"}, format="json").json()["id"]
    for path in (URL, URL + "preview/"):
        assert outsider_api.post(path.format(action.id), body, format="json").status_code == 404
        assert volunteer_api.post(path.format(action.id), body, format="json").status_code == 403
    undo = f"/api/v1/actions/{action.id}/reassignments/{rid}/undo/"
    assert outsider_api.post(undo).status_code == 404
    assert volunteer_api.post(undo).status_code == 403
    assert outsider_api.get(URL.format(action.id)).status_code == 404
    assert outsider_api.get("/api/v1/audit/").json()["count"] == 0
    assert volunteer_api.get("/api/v1/audit/").status_code == 403
    assert Conversation.objects.filter(assigned_user=ann).count() == 6
    assert Membership.objects.get(user=bob).organization_id == action.organization_id


def test_the_portable_path_moves_and_logs_the_same(action, ann, bob, worked):
    """The SQLite demo moves through the Ledger; on the same rows it must agree with a recount."""
    from engagement.selectors import ConversationFilter, reassignable_conversations
    from engagement.services.moves import _move_ledger
    from reporting.contrib import Deltas

    record = Reassignment.objects.create(
        organization=action.organization, action=action, from_user=ann, to_user_ids=[bob.id], scope="needs_attention"
    )
    selection = reassignable_conversations(
        action=action, from_user_id=ann.id, scope="needs_attention", conversation_filter=ConversationFilter()
    )
    assert _move_ledger(selection, [bob.id], record.id, Deltas()) == 2
    assert set(ReassignmentMove.objects.filter(reassignment=record).values_list("conversation_id", "to_user_id")) == {
        (worked[3].id, bob.id),
        (worked[4].id, bob.id),
    }
    assert recompute_stats(action) == []
