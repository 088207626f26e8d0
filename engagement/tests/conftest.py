import pytest

from actions.twilio.client import INBOUND_PATH, _client
from actions.twilio.simulator import Rates, Simulator, SimulatorServer

SIMULATOR_PORT = 8427
# Every text is accepted and delivered; callbacks and replies wait until a test sends them.
QUIET = Rates(undelivered_30007=0, undelivered_30003=0, failed_30034=0, reply=0, delay_min=0, delay_max=0)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """These tests make dozens of users; a slow password hash buys them nothing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def twilio(settings, org):
    """Twilio's Messages API at the HTTP level (the simulator), for the organization."""
    sim = Simulator(
        rates=Rates(**QUIET.__dict__),
        accounts={org.twilio_account_sid: org.twilio_auth_token},
        inbound_url=settings.PUBLIC_BASE_URL + INBOUND_PATH,
    )
    server = SimulatorServer(sim, port=SIMULATOR_PORT, posters=0).start()
    settings.TWILIO_API_BASE_URL = server.base_url
    _client.cache_clear()  # no pooled connection to a previous test's server
    yield sim
    server.stop()
