"""The volunteer side: registering a device for push, the inbox, stored notifications."""

from conftest import client_for
from engagement.models import DeviceToken, InboxMessage
from engagement.services.inbox import inbox_send
from tests.factories import make_member


def test_register_a_device_then_again_and_a_token_moves_with_the_phone(org, volunteer_api, volunteer):
    r = volunteer_api.post("/api/v1/me/devices/", {"token": "fcm-abc", "platform": "ios"}, format="json")
    assert r.status_code == 201 and r.json()["platform"] == "ios"
    assert volunteer_api.post("/api/v1/me/devices/", {"token": "fcm-abc", "platform": "ios"}, format="json").status_code == 200
    other = make_member(org)
    assert client_for(other).post("/api/v1/me/devices/", {"token": "fcm-abc"}, format="json").status_code == 200
    assert DeviceToken.objects.get(token="fcm-abc").user == other


def test_bad_device_registration_answers_400_naming_the_field(volunteer_api):
    r = volunteer_api.post("/api/v1/me/devices/", {"token": "", "platform": "fridge"}, format="json")
    assert r.status_code == 400 and {"token", "platform"} <= set(r.json())
    assert volunteer_api.post("/api/v1/me/devices/", {"token": "x" * 600}, format="json").status_code == 400
    assert not DeviceToken.objects.exists()


def test_inbox_lists_own_messages_newest_first_and_marks_read(org, volunteer_api, volunteer, admin_user, outsider_api):
    inbox_send(organization_id=org.id, user_ids=[volunteer.id], body="first", sender=admin_user)
    inbox_send(organization_id=org.id, user_ids=[volunteer.id], body="second", sender=admin_user)
    someone_else = make_member(org)
    inbox_send(organization_id=org.id, user_ids=[someone_else.id], body="not yours")
    listed = volunteer_api.get("/api/v1/me/inbox/").json()
    assert [m["body"] for m in listed["results"]] == ["second", "first"]
    assert listed["results"][0]["sender_name"] == admin_user.get_full_name()
    theirs = InboxMessage.objects.get(user=someone_else).id
    assert volunteer_api.post(f"/api/v1/me/inbox/{theirs}/read/").status_code == 404
    assert outsider_api.post(f"/api/v1/me/inbox/{theirs}/read/").status_code == 404
    mine = listed["results"][1]["id"]
    first = volunteer_api.post(f"/api/v1/me/inbox/{mine}/read/").json()["read_at"]
    assert volunteer_api.post(f"/api/v1/me/inbox/{mine}/read/").json()["read_at"] == first
    assert volunteer_api.get("/api/v1/me/inbox/?unread=true").json()["count"] == 1


def test_no_token_is_401():
    from rest_framework.test import APIClient

    for path in ("/api/v1/me/inbox/", "/api/v1/me/notifications/"):
        assert APIClient().get(path).status_code == 401
    assert APIClient().post("/api/v1/me/devices/", {"token": "x"}, format="json").status_code == 401
