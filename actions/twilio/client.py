"""The Twilio REST client for an organization: its own credentials, the base URL from
TWILIO_API_BASE_URL (a simulator or test double), explicit connect/read timeouts and no
automatic retries — the sender decides what is safe to retry (actions.twilio.send)."""

import logging
from functools import lru_cache

from django.conf import settings
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from orgs.models import Organization

TWILIO_HOST = "https://api.twilio.com"
STATUS_CALLBACK_PATH = "/webhooks/twilio/status/"
INBOUND_PATH = "/webhooks/twilio/inbound/"
# Connect fails fast (nothing reached Twilio, safe to retry); a read can take a while.
CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 15.0
# The library logs every request and its headers at INFO; keep that for debugging only.
http_log = logging.getLogger("actions.twilio.http")
http_log.setLevel(logging.WARNING)


class RebasedHttpClient(TwilioHttpClient):
    """The library hard-codes api.twilio.com in every URL; point it at `base_url`."""

    def __init__(self, base_url: str) -> None:
        super().__init__(pool_connections=True, logger=http_log)
        self.base_url = base_url.rstrip("/")
        self.timeout = (CONNECT_TIMEOUT, READ_TIMEOUT)

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_HOST):
            url = self.base_url + url[len(TWILIO_HOST) :]
        return super().request(method, url, *args, **kwargs)


@lru_cache(maxsize=64)
def _client(account_sid: str, auth_token: str, base_url: str) -> Client:
    # One client (and so one pooled HTTP session) per account and process.
    return Client(account_sid, auth_token, http_client=RebasedHttpClient(base_url))


def twilio_client(organization: Organization) -> Client:
    return _client(organization.twilio_account_sid, organization.twilio_auth_token, settings.TWILIO_API_BASE_URL)


def status_callback_url() -> str:
    return settings.PUBLIC_BASE_URL + STATUS_CALLBACK_PATH


def inbound_url() -> str:
    return settings.PUBLIC_BASE_URL + INBOUND_PATH
