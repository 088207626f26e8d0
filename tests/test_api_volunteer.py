"""Volunteer API (CONTRACT §3): the caller's own work only, 409s, report validation."""

import pytest

from actions.models import Action, Conversation, Message, OptOut, Report
from reporting.recompute import recompute_stats
from tests.factories import ActionFactory, ContactFactory, add_conversation, make_member, send_action
from tests.helpers import action_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(action, volunteer):
    contact = ContactFactory(organization=action.organization, first_name="Ann", attributes={"ward": "7"})
    return add_conversation(action, contact=contact, user=volunteer)


def messages_url(conversation) -> str:
    return f"/api/v1/conversations/{conversation.id}/messages/"


def test_my_actions_lists_only_actions_sent_to_me(volunteer_api, volunteer, org):
    mine, _other = ActionFactory(organization=org, name="Mine"), ActionFactory(organization=org, name="Not mine")
    send_action(mine, volunteer)
    body = volunteer_api.get("/api/v1/me/actions/").json()
    assert body["count"] == 1
    assert body["results"][0]["name"] == "Mine" and body["results"][0]["status"] == "sent"


def test_seen_start_complete_move_the_overview(volunteer_api, volunteer, action):
    send_action(action, volunteer)
    base = f"/api/v1/me/actions/{action.id}"
    assert volunteer_api.post(f"{base}/seen/").json()["status"] == "seen"
    assert volunteer_api.post(f"{base}/start/").json()["status"] == "started"
    assert volunteer_api.post(f"{base}/complete/").json()["completions"] == 1
    assert volunteer_api.post(f"{base}/complete/").json()["completions"] == 2
    figures = action_figures(action)
    assert [figures[k] for k in ("sent_to", "seen", "started", "completed", "performs")] == [1, 1, 1, 1, 2]
    assert recompute_stats(action) == []


def test_an_action_not_sent_to_me_is_a_404(volunteer_api, action):
    assert volunteer_api.post(f"/api/v1/me/actions/{action.id}/seen/").status_code == 404
    assert volunteer_api.post(f"/api/v1/me/actions/{action.id}/batch/", {"size": 5}, format="json").status_code == 404


def test_batch_hands_out_unassigned_unsent_contacts_only(volunteer_api, volunteer, org, action):
    colleague = make_member(org)
    free = [add_conversation(action) for _ in range(3)]
    add_conversation(action, user=colleague)
    opted = add_conversation(action)
    Conversation.objects.filter(pk=opted.pk).update(contact_opted_out=True)
    send_action(action, volunteer)
    url = f"/api/v1/me/actions/{action.id}/batch/"
    first = volunteer_api.post(url, {"size": 2}, format="json").json()
    assert first["claimed"] == 2 and [c["id"] for c in first["conversations"]] == [free[0].id, free[1].id]
    second = volunteer_api.post(url, {"size": 10}, format="json").json()
    assert [c["id"] for c in second["conversations"]] == [free[2].id]
    assert volunteer_api.post(url, {"size": 10}, format="json").json() == {"claimed": 0, "conversations": []}


@pytest.mark.parametrize("body", [{}, {"size": 0}, {"size": "many"}, {"size": 100_000}])
def test_batch_size_is_validated(volunteer_api, volunteer, action, body):
    send_action(action, volunteer)
    response = volunteer_api.post(f"/api/v1/me/actions/{action.id}/batch/", body, format="json")
    assert response.status_code == 400 and "size" in response.json()


def test_a_paused_action_hands_out_nothing(volunteer_api, volunteer, action):
    add_conversation(action)
    send_action(action, volunteer)
    Action.objects.filter(pk=action.pk).update(status=Action.Status.PAUSED)
    assert volunteer_api.post(f"/api/v1/me/actions/{action.id}/batch/", {"size": 5}, format="json").status_code == 409


def test_conversations_by_state(volunteer_api, volunteer, action, conversation):
    sent = add_conversation(action, user=volunteer)
    assert volunteer_api.post(messages_url(sent), {}, format="json").status_code == 201
    url = f"/api/v1/me/actions/{action.id}/conversations/"
    unsent = volunteer_api.get(url, {"state": "unsent"}).json()
    assert [c["id"] for c in unsent["results"]] == [conversation.id]
    assert set(unsent["results"][0]) >= {"id", "phone", "first_name", "last_name", "needs_attention", "opted_out"}
    assert volunteer_api.get(url, {"state": "all"}).json()["count"] == 2
    assert volunteer_api.get(url, {"state": "needs_attention"}).json()["count"] == 0
    bad = volunteer_api.get(url, {"state": "everything"})
    assert bad.status_code == 400 and "state" in bad.json()


def test_the_initial_is_the_personalised_script_and_only_once(volunteer_api, action, conversation):
    Action.objects.filter(pk=action.pk).update(initial_script="Hi {first_name} in ward {ward}{missing}!")
    response = volunteer_api.post(messages_url(conversation), {}, format="json")
    assert response.status_code == 201
    assert response.json()["body"] == "Hi Ann in ward 7!" and response.json()["kind"] == "initial"
    again = volunteer_api.post(messages_url(conversation), {}, format="json")
    assert again.status_code == 409
    assert Message.objects.filter(conversation=conversation).count() == 1
    assert recompute_stats(action) == []


def test_a_follow_up_before_the_initial_is_a_409(volunteer_api, conversation):
    assert volunteer_api.post(messages_url(conversation), {"body": "Hello?"}, format="json").status_code == 409
    assert volunteer_api.post(messages_url(conversation), {"response_script": "thanks"}, format="json").status_code == 409
    assert not Message.objects.filter(conversation=conversation).exists()


def test_follow_ups_by_body_or_response_script(volunteer_api, action, conversation):
    volunteer_api.post(messages_url(conversation), {}, format="json")
    by_body = volunteer_api.post(messages_url(conversation), {"body": "Polls open at 7."}, format="json")
    assert by_body.status_code == 201 and by_body.json()["kind"] == "follow_up"
    by_script = volunteer_api.post(messages_url(conversation), {"response_script": "thanks"}, format="json")
    assert by_script.status_code == 201 and by_script.json()["body"] == "Thanks Ann!"
    assert by_script.json()["response_script"] == "thanks"
    listed = volunteer_api.get(messages_url(conversation)).json()
    assert [m["kind"] for m in listed["results"]] == ["initial", "follow_up", "follow_up"]
    assert recompute_stats(action) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"response_script": "nope"}, "response_script"),
        ({"body": ""}, "body"),
        ({"body": "x" * 1601}, "body"),
        ({"body": "Hi", "response_script": "thanks"}, "body"),
    ],
)
def test_a_bad_follow_up_is_a_400_naming_the_field(volunteer_api, conversation, body, field):
    volunteer_api.post(messages_url(conversation), {}, format="json")
    response = volunteer_api.post(messages_url(conversation), body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_nothing_is_sent_to_an_opted_out_contact(volunteer_api, action, conversation):
    OptOut.objects.create(
        organization=action.organization, phone=conversation.contact.phone, source="keyword", created_at="2024-01-01T00:00Z"
    )
    response = volunteer_api.post(messages_url(conversation), {}, format="json")
    assert response.status_code == 409 and "opted out" in response.json()["detail"]
    assert not Message.objects.filter(conversation=conversation).exists()


def test_another_volunteers_conversation_is_a_404(org, action, conversation):
    from conftest import client_for

    colleague = make_member(org)
    send_action(action, colleague)
    api = client_for(colleague)
    assert api.post(messages_url(conversation), {}, format="json").status_code == 404
    assert api.get(messages_url(conversation)).status_code == 404
    assert api.post(f"/api/v1/conversations/{conversation.id}/report/", {"tags": []}, format="json").status_code == 404
    assert api.post(f"/api/v1/conversations/{conversation.id}/opt_out/").status_code == 404
    assert not Message.objects.exists() and not Report.objects.exists()


def test_reports_are_filed_and_the_latest_holds_the_answers(volunteer_api, action, conversation):
    url = f"/api/v1/conversations/{conversation.id}/report/"
    first = volunteer_api.post(url, {"tags": ["supporter"], "custom_fields": {"support": "5", "age": 41}}, format="json")
    assert first.status_code == 201
    assert first.json()["custom_fields"] == {"support": "5", "age": "41"}
    second = volunteer_api.post(url, {"tags": ["undecided"], "custom_fields": {"support": "3"}}, format="json")
    assert second.status_code == 201
    conversation.refresh_from_db()
    assert conversation.report_count == 2 and conversation.latest_report_id == second.json()["id"]
    assert action_figures(action)["reports"] == 2
    assert recompute_stats(action) == []


@pytest.mark.parametrize(
    ("body", "bad_key", "says"),
    [
        ({"tags": ["nope"]}, "tags", "nope"),
        ({"tags": "supporter"}, "tags", "list"),
        ({"custom_fields": {"support": "9"}}, "custom_fields.support", "'9'"),
        ({"custom_fields": {"age": "old"}}, "custom_fields.age", "'old'"),
        ({"custom_fields": {"shoe_size": "9"}}, "custom_fields.shoe_size", "not a custom field"),
        ({"custom_fields": ["support"]}, "custom_fields", "object"),
    ],
)
def test_a_bad_report_is_a_400_naming_the_key_and_value(volunteer_api, action, conversation, body, bad_key, says):
    response = volunteer_api.post(f"/api/v1/conversations/{conversation.id}/report/", body, format="json")
    assert response.status_code == 400
    assert says in str(response.json()[bad_key])
    assert not Report.objects.exists()
    assert action_figures(action)["reports"] == 0


def test_opt_out_covers_the_phone_in_every_action(volunteer_api, volunteer, org, action, conversation):
    elsewhere = add_conversation(ActionFactory(organization=org), contact=conversation.contact)
    response = volunteer_api.post(f"/api/v1/conversations/{conversation.id}/opt_out/")
    assert response.status_code == 200 and response.json()["opted_out"] is True
    assert OptOut.objects.filter(organization=org, phone=conversation.contact.phone).exists()
    elsewhere.refresh_from_db()
    assert elsewhere.contact_opted_out
    assert action_figures(action)["opt_outs"] == 1
    assert volunteer_api.post(messages_url(conversation), {}, format="json").status_code == 409
    assert recompute_stats(action) == [] and recompute_stats(elsewhere.action) == []
