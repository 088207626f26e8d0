"""`python manage.py twilio_simulator`: a local Twilio for the demo and end-to-end runs.
Point the app at it with TWILIO_API_BASE_URL=http://HOST:PORT (docs/twilio.md)."""

from dataclasses import fields

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from actions.twilio.client import inbound_url
from actions.twilio.simulator import Rates, Simulator, SimulatorServer
from orgs.models import Organization


def _token_of(account_sid: str) -> str | None:
    close_old_connections()
    try:
        org = Organization.objects.filter(twilio_account_sid=account_sid).first()
        return org.twilio_auth_token if org else None
    finally:
        close_old_connections()


class Command(BaseCommand):
    help = "Serve a Twilio Messages API stand-in that posts signed callbacks and replies back to the app."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8101)
        parser.add_argument("--app-url", default=None, help="post callbacks here instead of PUBLIC_BASE_URL (same paths)")
        parser.add_argument(
            "--inbound-url", default=None, help="the inbound webhook URL Twilio would sign (default: PUBLIC_BASE_URL + path)"
        )
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--posters", type=int, default=4, help="threads posting callbacks")
        for f in fields(Rates):
            parser.add_argument(f"--{f.name.replace('_', '-')}", type=float, default=f.default)

    def handle(self, *args, **options) -> None:
        rates = Rates(**{f.name: options[f.name] for f in fields(Rates)})
        simulator = Simulator(
            rates=rates,
            account_lookup=_token_of,
            inbound_url=options["inbound_url"] or inbound_url(),
            app_url=options["app_url"],
            seed=options["seed"],
        )
        server = SimulatorServer(simulator, host=options["host"], port=options["port"], posters=options["posters"]).start()
        self.stdout.write(f"Twilio simulator on {server.base_url} (set TWILIO_API_BASE_URL={server.base_url}); Ctrl-C stops it")
        self.stdout.flush()
        try:
            server.threads[0].join()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
