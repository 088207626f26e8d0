"""Fixtures of the Twilio pipeline's tests: a simulator standing in for Twilio at the HTTP
level (the only fake allowed), and a fresh webhook organization cache per test."""

import pytest

from actions.twilio.client import INBOUND_PATH, _client
from actions.twilio.simulator import Simulator, SimulatorServer
from actions.twilio.webhooks import organization_cache_clear

from .helpers import quiet_rates


@pytest.fixture(autouse=True)
def _fresh_caches():
    organization_cache_clear()
    _client.cache_clear()
    yield
    organization_cache_clear()


@pytest.fixture
def twilio_sim(org, other_org, settings):
    """Twilio's Messages API on a local port, with every outcome a plain delivery; callbacks
    wait in `sim` until a test delivers them (helpers.deliver)."""
    sim = Simulator(
        rates=quiet_rates(),
        accounts={o.twilio_account_sid: o.twilio_auth_token for o in (org, other_org)},
        inbound_url=settings.PUBLIC_BASE_URL + INBOUND_PATH,
        seed=7,
    )
    server = SimulatorServer(sim, posters=0).start()
    settings.TWILIO_API_BASE_URL = server.base_url
    yield sim
    server.stop()
