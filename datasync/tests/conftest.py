"""Fixtures for DataSync tests: fake VAN and PDI servers on this machine, and connections to them."""

import logging
import socket

import pytest
from pytest_httpserver import HTTPServer

from datasync.models import CrmConnection
from datasync.ratelimit import TokenBucket
from datasync.services.connections import connection_refresh_catalog
from tests.factories import ContactFactory, add_conversation

from .fakes import PDI_API_TOKEN, PDI_PASSWORD, PDI_USER, VAN_APP, VAN_KEY, FakePdi, FakeVan

PORTS = range(8500, 8600)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8500-8599")


@pytest.fixture
def crm_server():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def fast_http(settings):
    settings.DATASYNC_HTTP_TIMEOUT = 1.0


@pytest.fixture
def fake_van(crm_server, settings, fast_http):
    fake = FakeVan(crm_server, "/v4").install()
    settings.VAN_API_BASE_URL = fake.url()
    return fake


@pytest.fixture
def fake_pdi(crm_server, settings, fast_http):
    fake = FakePdi(crm_server, "/pdi").install()
    settings.PDI_API_BASE_URL = fake.url()
    return fake


def _ready(connection: CrmConnection) -> CrmConnection:
    TokenBucket.for_connection(connection).reset()
    connection_refresh_catalog(connection=connection)
    return connection


@pytest.fixture
def van_connection(org, fake_van):
    connection = CrmConnection.objects.create(
        organization=org, kind="van", name="VAN", application_name=VAN_APP, api_key=VAN_KEY, mode=1, requests_per_second=200
    )
    return _ready(connection)


@pytest.fixture
def pdi_connection(org, fake_pdi):
    connection = CrmConnection.objects.create(
        organization=org,
        kind="pdi",
        name="PDI",
        username=PDI_USER,
        password=PDI_PASSWORD,
        api_token=PDI_API_TOKEN,
        requests_per_second=200,
    )
    return _ready(connection)


@pytest.fixture
def make_conversation(action, volunteer):
    def make(van_id: str = "", pdi_id: str = "", **contact):
        person = ContactFactory(organization=action.organization, van_id=van_id, pdi_id=pdi_id, **contact)
        return add_conversation(action, person, user=volunteer)

    return make
