"""`simulate_history`: a small, realistic history for an action, made through the real code
path — volunteers claim and text contacts with the services the API uses, the real sender
calls the simulator's Messages API over HTTP, the simulator's signed callbacks and replies go
through the real webhook views, and the real applier applies them."""

import random
from contextlib import contextmanager
from datetime import date
from urllib.parse import urlencode, urlsplit

from django.test import RequestFactory, override_settings
from django.urls import resolve

from actions.errors import Conflict
from actions.models import Action, ActionRecipient, Conversation
from actions.services.actions import recipient_record
from actions.services.conversations import conversation_claim_batch, conversation_file_report, conversation_send_message
from orgs.models import Organization

from ..applier import events_apply_all, events_unpark
from ..client import inbound_url
from ..kick import applier_deferred
from ..send import message_dispatch
from .core import Post, Rates, Simulator, new_sid
from .server import SimulatorServer

FREE_TEXT_FOLLOW_UPS = ("Thanks for getting back to me!", "Great, see you there.", "Sorry to bother you, have a good day.")


def in_process_post() -> Post:
    """Deliver a callback to the app's own view in this process (no server needed)."""
    factory = RequestFactory()

    def post(url: str, params: dict, signature: str) -> int:
        path = urlsplit(url).path
        match = resolve(path)
        request = factory.post(
            path, data=urlencode(params), content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature
        )
        return match.func(request, *match.args, **match.kwargs).status_code

    return post


@contextmanager
def _eager_tasks():
    """Send tasks run here, against this run's simulator, not on a worker configured elsewhere."""
    from p2p_admin.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


def _ensure_credentials(organization: Organization) -> None:
    if organization.twilio_account_sid and organization.twilio_auth_token and organization.messaging_service_sid:
        return
    organization.twilio_account_sid = organization.twilio_account_sid or new_sid("AC")
    organization.twilio_auth_token = organization.twilio_auth_token or new_sid("")
    organization.messaging_service_sid = organization.messaging_service_sid or new_sid("MG")
    organization.save(update_fields=["twilio_account_sid", "twilio_auth_token", "messaging_service_sid"])


def _field_value(field: dict, rng: random.Random) -> str:
    if field["type"] == "choice":
        return rng.choice(field["choices"])
    if field["type"] == "number":
        return str(rng.randint(18, 90))
    if field["type"] == "date":
        return date.today().isoformat()
    return rng.choice(["call back later", "spoke to a family member", "very supportive"])


def _send(**kwargs) -> None:
    message = conversation_send_message(**kwargs)
    # The send task runs on commit; inside a caller's transaction that is too late for this
    # run's simulator, so dispatch now (the task then finds the text sent: a no-op).
    message_dispatch(message_id=message.id)


def _drain(simulator: Simulator, post: Post) -> None:
    while (item := simulator.next_due(wait=False)) is not None:
        simulator.deliver(item, post)
    events_unpark()
    events_apply_all(max_seconds=3600)


def simulate_history(
    *,
    organization: Organization,
    action: Action,
    rates: Rates | None = None,
    send_share: float = 0.9,
    follow_up_share: float = 0.7,
    report_share: float = 0.8,
    seed: int = 0,
) -> dict:
    """Text `send_share` of the action's unsent contacts, deliver Twilio's callbacks and the
    contacts' replies, then have volunteers answer and file reports on the replies. The action
    must be live and sent to at least one volunteer. Returns what was done, in counts."""
    if not ActionRecipient.objects.filter(action=action).exists():
        raise ValueError("send the action to at least one volunteer first")
    _ensure_credentials(organization)
    rng = random.Random(seed)
    simulator = Simulator(
        rates=rates or Rates(reply=0.35),
        accounts={organization.twilio_account_sid: organization.twilio_auth_token},
        inbound_url=inbound_url(),
        seed=seed,
    )
    server = SimulatorServer(simulator, posters=0).start()
    post = in_process_post()
    done = {"initials": 0, "follow_ups": 0, "reports": 0}
    try:
        with override_settings(TWILIO_API_BASE_URL=server.base_url), _eager_tasks(), applier_deferred():
            users = [r.user for r in ActionRecipient.objects.filter(action=action).select_related("user").order_by("id")]
            unsent = Conversation.objects.filter(action=action, has_initial=False, contact_opted_out=False).count()
            share = max(1, round(unsent * send_share / len(users))) if unsent else 0
            for user in users:
                recipient_record(action=action, user=user, event="start")
                for conv in Conversation.objects.filter(id__in=conversation_claim_batch(action=action, user=user, size=share)):
                    try:
                        _send(conversation=conv, sent_by=user)
                        done["initials"] += 1
                    except Conflict:
                        continue  # opted out meanwhile
            _drain(simulator, post)
            for conv in Conversation.objects.filter(action=action, needs_attention=True).select_related("assigned_user"):
                user = conv.assigned_user
                if user is None:
                    continue
                if rng.random() < report_share:
                    fields = {f["key"]: _field_value(f, rng) for f in action.custom_fields if rng.random() < 0.7}
                    tags = rng.sample(action.tags, k=min(len(action.tags), rng.randint(0, 2)))
                    conversation_file_report(conversation=conv, author=user, tags=tags, custom_fields=fields)
                    done["reports"] += 1
                if rng.random() < follow_up_share:
                    script = (
                        rng.choice(action.response_scripts)["key"] if action.response_scripts and rng.random() < 0.7 else None
                    )
                    body = None if script else rng.choice(FREE_TEXT_FOLLOW_UPS)
                    _send(conversation=conv, sent_by=user, body=body, response_script=script)
                    done["follow_ups"] += 1
            _drain(simulator, post)
            for user in users:
                recipient_record(action=action, user=user, event="complete")
    finally:
        server.stop()
    return done | {"twilio": dict(simulator.counts)}
