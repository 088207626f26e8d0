"""After the load stops: wait until nothing is in flight anywhere — every text settled (no
`pending` or `unknown`: lost send tasks are re-dispatched, cut-off sends looked up in Twilio),
every stored event applied or unparked, and the simulator silent long enough that no callback
or reply of any text can still be due."""

import time
from dataclasses import dataclass

from django.db import close_old_connections

from actions.models import Message, TwilioEvent

from .config import Config
from .simulator import simulator_stats

# The simulator's longest gap between two deliveries of one text: a reply comes at most 10 s
# after the final status (its --reply-delay-max), the statuses 2 s apart at most.
QUIET_SECONDS = 15.0
POLL = 2.0


@dataclass(frozen=True)
class Drained:
    ok: bool
    seconds: float
    waiting_on: str  # what was still in flight at the timeout; "" when drained


def drain(*, cfg: Config, org_id: int) -> Drained:
    started = time.monotonic()
    deadline = started + cfg.drain_timeout
    last_stats, quiet_since = None, time.monotonic()
    waiting = ""
    while time.monotonic() < deadline:
        close_old_connections()
        unsettled = Message.objects.filter(
            organization_id=org_id, direction=Message.Direction.OUTBOUND, status__in=["pending", "unknown"]
        ).count()
        unapplied = TwilioEvent.objects.filter(organization_id=org_id, applied_at__isnull=True).count()
        stats = simulator_stats(cfg=cfg)
        if stats != last_stats:
            last_stats, quiet_since = stats, time.monotonic()
        quiet = time.monotonic() - quiet_since
        if not unsettled and not unapplied and quiet >= QUIET_SECONDS:
            return Drained(True, round(time.monotonic() - started, 1), "")
        waiting = f"{unsettled} texts pending/unknown, {unapplied} events unapplied or parked, simulator quiet for {quiet:.0f} s"
        time.sleep(POLL)
    return Drained(False, round(time.monotonic() - started, 1), waiting)
