"""A worker survives losing its Redis broker while it holds unacknowledged tasks
(p2p_admin/kombu_patch.py; found by the soak test's Redis restart)."""

import uuid

import kombu
import pytest
from django.conf import settings

from p2p_admin import kombu_patch


@pytest.fixture
def channel_holding_a_task():
    conn = kombu.Connection(settings.REDIS_URL)
    channel = conn.channel()
    queue = kombu.Queue(f"broker-loss-{uuid.uuid4().hex}")
    bound = queue(channel)
    bound.declare()
    kombu.Producer(channel).publish({"task": "probe"}, routing_key=queue.name)
    message = bound.get(no_ack=False)
    assert message is not None and len(channel.qos._delivered) == 1
    yield conn, channel, queue
    with kombu.Connection(settings.REDIS_URL) as cleanup:
        queue(cleanup.channel()).delete()
    conn.release()


def _lose_the_broker(conn) -> None:
    # What the consumer's connection-error path leaves behind: the transport without its connection.
    conn.transport.client = None


def test_kombu_alone_crashes_closing_the_channel(channel_holding_a_task, monkeypatch):
    """The bug the patch exists for: proves the scenario below is the real one."""
    conn, channel, _ = channel_holding_a_task
    monkeypatch.setattr(kombu.transport.redis.QoS, "restore_unacked", kombu_patch._restore_unacked)
    _lose_the_broker(conn)
    with pytest.raises(AttributeError, match="hostname"):
        channel.close()


def test_with_the_patch_the_channel_closes_and_the_worker_lives(channel_holding_a_task, caplog):
    import p2p_admin.celery  # noqa: F401  (installs the patch, as every worker does)

    assert kombu.transport.redis.QoS.restore_unacked is kombu_patch.restore_unacked
    conn, channel, _ = channel_holding_a_task
    _lose_the_broker(conn)
    channel.close()
    assert channel.closed
    assert "1 unacknowledged task(s)" in caplog.text


def test_with_a_connection_the_patch_still_restores(channel_holding_a_task):
    import p2p_admin.celery  # noqa: F401

    _conn, channel, queue = channel_holding_a_task
    channel.close()  # Redis is there: the unacknowledged task goes back to its queue, as kombu does
    with kombu.Connection(settings.REDIS_URL) as other:
        again = queue(other.channel()).get(no_ack=True)
    assert again is not None and again.payload == {"task": "probe"}


# --- The web side: a change committed while the broker is away answers as made ---------------
# The broker's refusal is kombu's own exception, as gunicorn logged it in the soak (Redis down).
BROKER_AWAY = kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:8851. Connection refused.")


@pytest.fixture
def broker_away(monkeypatch):
    from celery.app.task import Task

    def refuse(self, *args, **kwargs):
        raise BROKER_AWAY

    monkeypatch.setattr(Task, "apply_async", refuse)


@pytest.mark.django_db
def test_a_text_stored_while_the_broker_is_away_answers_201_and_the_sweep_sends_it(
    action, volunteer, volunteer_api, broker_away, django_capture_on_commit_callbacks, monkeypatch, settings
):
    from actions.models import Message
    from actions.tasks import messages_sweep
    from tests.factories import ContactFactory, add_conversation

    conversation = add_conversation(action, contact=ContactFactory(organization=action.organization), user=volunteer)
    with django_capture_on_commit_callbacks(execute=True):
        response = volunteer_api.post(f"/api/v1/conversations/{conversation.id}/messages/", {}, format="json")
    assert response.status_code == 201, response.content  # not a 500 the client would retry
    message = Message.objects.get(conversation=conversation)
    assert message.status == "pending"
    # The broker is back; the sweep finds the text whose send task never reached it.
    monkeypatch.undo()
    settings.TWILIO_PENDING_STALE_SECONDS = 0
    dispatched = []
    monkeypatch.setattr("actions.tasks.message_send.delay", dispatched.append)
    assert messages_sweep() == 1 and dispatched == [message.id]


@pytest.mark.django_db
def test_an_export_job_the_broker_refused_fails_with_a_reason(
    action, admin_user, broker_away, django_capture_on_commit_callbacks
):
    from reporting.exports.models import ExportJob
    from reporting.exports.render import export_spec
    from reporting.exports.services import export_job_start

    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_start(spec=export_spec(action=action, kind="contacts", fmt="csv"), requested_by=admin_user)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == "failed" and job.finished_at is not None
    assert "task queue could not be reached" in job.error and "Connection refused" in job.error


def test_only_a_broker_outage_is_swallowed(monkeypatch):
    """A bug in what is handed over (here a TypeError) still raises: only the broker being away is expected."""
    from celery.app.task import Task

    from actions.tasks import message_send
    from p2p_admin.queueing import enqueue

    def broken(self, *args, **kwargs):
        raise TypeError("bad arguments")

    monkeypatch.setattr(Task, "apply_async", broken)
    with pytest.raises(TypeError):
        enqueue(message_send, (1,))
    monkeypatch.setattr(Task, "apply_async", lambda self, *a, **k: (_ for _ in ()).throw(BROKER_AWAY))
    lost = []
    assert enqueue(message_send, (1,), if_lost=lost.append) is False
    assert lost == [BROKER_AWAY]
