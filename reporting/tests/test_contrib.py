"""The applier's fast status path moves the figures exactly as the full contribution does."""

import itertools
from datetime import UTC, datetime

from actions.models import Message
from reporting.contrib import Deltas, MsgState, message_contrib, message_status_change

CODES = (None, 30007, 30004, 30003, 21610)
KINDS = (Message.Kind.INITIAL, Message.Kind.FOLLOW_UP)


def state(kind, status, code, accepted, sender=7) -> MsgState:
    created = datetime(2026, 11, 3, 14, 25, tzinfo=UTC)
    return MsgState(1, sender, Message.Direction.OUTBOUND, kind, status, code, accepted, created, "thanks", "", 65)


def test_status_change_equals_contribution_after_minus_before():
    statuses = Message.STATUS_ORDER
    for kind, accepted, sender in itertools.product(KINDS, (True, False), (7, None)):
        for (old, old_code), (new, new_code) in itertools.product(itertools.product(statuses, CODES), repeat=2):
            before = state(kind, old, old_code, accepted, sender)
            after = state(kind, new, new_code, accepted, sender)
            full, fast = Deltas(), Deltas()
            message_contrib(before, full, -1)
            message_contrib(after, full, +1)
            message_status_change(before, new, new_code, fast)
            assert fast.nonzero() == full.nonzero(), (kind, accepted, old, old_code, new, new_code)
