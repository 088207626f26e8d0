import threading

import pytest
from django.db import transaction

from tests.fake_twilio import FakeTwilio


@pytest.fixture
def fake_twilio(settings):
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TWILIO_API_BASE_URL = server.base_url
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One transaction around a module's tests, rolled back after the last: data that is costly
    to build (a world of every model) is built once per module, and each test (marked
    django_db) runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)
