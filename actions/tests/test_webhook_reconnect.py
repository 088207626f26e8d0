"""Found by the soak: PostgreSQL dropping a web process's kept connection (a failover, the
soak's pg_terminate_backend) right after the request's health check made the status webhook
answer 500, and Twilio does not retry a 5xx, so the callback was lost. The webhook now stores
the event on a new connection instead."""

import psycopg2
import pytest
from django.db import connection

from actions.models import TwilioEvent
from actions.tests.helpers import status_params
from actions.tests.procs import database_url
from actions.twilio.webhooks import _store

pytestmark = pytest.mark.django_db(transaction=True)


def _terminate_this_connection() -> None:
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    killer = psycopg2.connect(database_url())
    killer.autocommit = True
    with killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    killer.close()


def test_a_callback_survives_a_connection_postgresql_dropped(org):
    _terminate_this_connection()
    assert _store(org, "status", status_params(org, "SM" + "a" * 32, "delivered")) is True
    assert TwilioEvent.objects.filter(organization=org, message_sid="SM" + "a" * 32, status="delivered").count() == 1


def test_the_retry_stores_nothing_twice(org):
    params = status_params(org, "SM" + "b" * 32, "sent")
    assert _store(org, "status", params) is True
    _terminate_this_connection()
    assert _store(org, "status", params) is False
    assert TwilioEvent.objects.filter(organization=org, message_sid="SM" + "b" * 32).count() == 1
