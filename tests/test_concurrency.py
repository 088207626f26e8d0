"""Races against the real PostgreSQL: threads with their own connections, committed data."""

import threading

import pytest
from django.db import connections

from actions.models import Action, Contact, Conversation, Message
from actions.services.contacts import contacts_upload
from conftest import client_for
from reporting.recompute import recompute_stats
from tests.factories import ActionFactory, add_conversation, make_member, send_action
from tests.helpers import phones_csv

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count: int, work) -> list:
    """Run work(i) in `count` threads released at the same moment; re-raise any error."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_concurrent_batches_never_share_a_contact(org, action):
    contacts_upload(action=action, data=phones_csv(300).encode())
    volunteers = [make_member(org) for _ in range(4)]
    send_action(action, *volunteers)
    clients = [client_for(v) for v in volunteers]

    def claim_until_empty(i: int) -> list[int]:
        mine = []
        while True:
            response = clients[i].post(f"/api/v1/me/actions/{action.id}/batch/", {"size": 7}, format="json")
            assert response.status_code == 200, response.content
            ids = [c["id"] for c in response.json()["conversations"]]
            if not ids:
                return mine
            mine += ids

    claimed = in_threads(len(volunteers), claim_until_empty)
    everyone = [cid for ids in claimed for cid in ids]
    assert len(everyone) == len(set(everyone)) == 300
    assert all(claimed), "every volunteer got some of the work"
    for volunteer, ids in zip(volunteers, claimed, strict=True):
        assert set(Conversation.objects.filter(assigned_user=volunteer).values_list("id", flat=True)) == set(ids)
    assert recompute_stats(action) == []


def test_concurrent_initial_sends_produce_one_initial(org, volunteer, fake_twilio):
    action = ActionFactory(organization=org)
    conversation = add_conversation(action, user=volunteer)
    clients = [client_for(volunteer) for _ in range(8)]

    codes = in_threads(
        8, lambda i: clients[i].post(f"/api/v1/conversations/{conversation.id}/messages/", {}, format="json").status_code
    )

    assert sorted(codes) == [201] + [409] * 7
    assert Message.objects.filter(conversation=conversation, kind=Message.Kind.INITIAL).count() == 1
    assert len(fake_twilio.sent) == 1
    assert recompute_stats(action) == []


def test_concurrent_uploads_to_two_actions_share_the_organizations_contacts(org):
    actions = [ActionFactory(organization=org, status=Action.Status.DRAFT) for _ in range(2)]
    data = phones_csv(400).encode()

    results = in_threads(2, lambda i: contacts_upload(action=actions[i], data=data).as_dict())

    assert [r["created"] for r in results] == [400, 400]
    assert Contact.objects.filter(organization=org).count() == 400
    for action in actions:
        assert Conversation.objects.filter(action=action).count() == 400
        assert recompute_stats(action) == []
