"""Waking the event applier after a webhook stored an event: at most once per short window
(a Redis SET NX EX key, plus a process-local skip so most requests never touch Redis), and
never at the cost of the webhook — with Redis or the broker down the request still answers
2xx and Celery beat's sweep applies the events later."""

import logging
import threading
import time
from contextlib import contextmanager

import redis
from django.conf import settings

from p2p_admin.ops.store import redis_client

log = logging.getLogger(__name__)
KICK_KEY = "p2p:twilio:applier-kick"
_state = threading.local()
_next_try = {"at": 0.0}


def kick_window() -> float:
    return float(settings.TWILIO_APPLIER_KICK_SECONDS)


def _redis(url: str) -> redis.Redis:
    return redis_client(url, timeout=0.25)  # a hung Redis must not hold a webhook request


@contextmanager
def applier_deferred():
    """Inside, stored events wait for the caller's own events_apply (bulk simulated history)."""
    _state.deferred = True
    try:
        yield
    finally:
        _state.deferred = False


def applier_kick() -> None:
    from actions.tasks import events_sweep
    from p2p_admin.celery import app

    if getattr(_state, "deferred", False):
        return
    if app.conf.task_always_eager:
        # The embedded demo has no worker: apply in the request that stored the event.
        try:
            events_sweep.apply()
        except Exception:
            log.exception("applying Twilio events in the request failed; the next event retries")
        return
    window = kick_window()
    now = time.monotonic()
    if now < _next_try["at"]:
        return
    _next_try["at"] = now + window
    try:
        if _redis(settings.REDIS_URL).set(KICK_KEY, "1", nx=True, ex=max(1, round(window))):
            # Trailing edge: the task runs once the window closes and takes every event in it.
            events_sweep.apply_async(countdown=window, retry=False)
    except Exception as exc:
        log.warning("could not enqueue the Twilio event applier (%s); the beat sweep will apply the events", exc)
