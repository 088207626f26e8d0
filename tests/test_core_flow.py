"""The volunteer and admin flow end to end through the API, with the aggregates it moves."""

from reporting.models import ActionStats, ActionUserStats


def stats(action):
    rows = ActionStats.objects.filter(action=action)
    names = [f.name for f in ActionStats._meta.concrete_fields if f.name not in ("id", "action", "shard")]
    return {n: sum(getattr(r, n) for r in rows) for n in names}


def upload(api, action, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv")
    return api.post(f"/api/v1/actions/{action.id}/contacts/", {"file": f}, format="multipart")


def test_upload_send_batch_initial_report_opt_out(admin_api, volunteer_api, volunteer, action):
    r = upload(admin_api, action, "phone,first_name,ward\n202-555-0101,Ann,3\n2025550102,Bob,4\n(202) 555-0101,Ann,3\nnope,X,1\n")
    assert r.status_code == 200, r.content
    assert r.json() == {
        "created": 2,
        "duplicates": 1,
        "invalid": [{"row": 5, "error": "'nope' is not a phone number (The string supplied did not seem to be a phone number.)"}],
        "opted_out": 0,
    }
    assert stats(action)["messages_remaining"] == 2
    r = admin_api.post(f"/api/v1/actions/{action.id}/send/", {"user_ids": [volunteer.id]}, format="json")
    assert r.status_code == 200, r.content
    assert stats(action)["sent_to"] == 1
    r = volunteer_api.post(f"/api/v1/me/actions/{action.id}/batch/", {"size": 5}, format="json")
    assert r.status_code == 200 and r.json()["claimed"] == 2
    convs = r.json()["conversations"]
    cid = convs[0]["id"]
    r = volunteer_api.post(f"/api/v1/conversations/{cid}/messages/", {}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["body"].startswith("Hi Ann")
    assert volunteer_api.post(f"/api/v1/conversations/{cid}/messages/", {}, format="json").status_code == 409
    s = stats(action)
    assert s["messages_remaining"] == 1
    assert s["initial_messages"] == 0  # not accepted by Twilio yet
    r = volunteer_api.post(
        f"/api/v1/conversations/{cid}/report/", {"tags": ["supporter"], "custom_fields": {"support": "5"}}, format="json"
    )
    assert r.status_code == 201, r.content
    r = volunteer_api.post(
        f"/api/v1/conversations/{cid}/report/", {"tags": ["nope"], "custom_fields": {"support": "9"}}, format="json"
    )
    assert r.status_code == 400 and "tags" in r.json() and "custom_fields.support" in r.json()
    assert stats(action)["reports"] == 1
    r = volunteer_api.post(f"/api/v1/conversations/{convs[1]['id']}/opt_out/", format="json")
    assert r.status_code == 200
    s = stats(action)
    assert s["opt_outs"] == 1 and s["messages_remaining"] == 0
    assert volunteer_api.post(f"/api/v1/conversations/{convs[1]['id']}/messages/", {}, format="json").status_code == 409
    u = ActionUserStats.objects.get(action=action, user=volunteer)
    assert (u.held, u.unsent, u.reports, u.opt_outs) == (2, 0, 1, 1)
    from reporting.recompute import recompute_stats

    assert recompute_stats(action) == []
