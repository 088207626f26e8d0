"""The soak's verdict, once the queue has drained: what Twilio (the simulator) says it did
against what the database holds, and the aggregates against a recount. Each check can fail on
its own; bench/soak/tests/test_verify.py breaks each one on purpose."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count

from actions.models import Action, Conversation, Message, OptOut, TwilioEvent
from actions.services.optouts import keyword_of
from actions.tests.helpers import conversation_state
from reporting.recompute import recompute_stats

UNSETTLED = ("pending", "unknown")
RANK = Message.STATUS_RANK


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Evidence:
    """What the outside world says happened."""

    org_id: int
    action_id: int
    simulator_posts: dict[str, dict[str, int]]  # kind -> outcome ('ok' or HTTP status) -> n
    simulator_messages: list[dict]  # every text the simulator accepted, as its Messages list shows it
    api_texts: int  # texts the volunteer API answered 201 for


def events_stored(ev: Evidence) -> Check:
    stored = Counter(TwilioEvent.objects.filter(organization_id=ev.org_id).values_list("kind", flat=True))
    posted = {kind: ev.simulator_posts.get(kind, {}).get("ok", 0) for kind in ("status", "inbound")}
    failed = {
        f"{kind} {outcome}": n for kind, outs in ev.simulator_posts.items() for outcome, n in outs.items() if outcome != "ok"
    }
    ok = not failed and all(stored[kind] == posted[kind] for kind in posted)
    detail = ", ".join(f"{kind}: sent {posted[kind]:,}, stored {stored[kind]:,}" for kind in posted)
    return Check(
        "events sent by the simulator == events stored", ok, detail + (f"; not acknowledged: {failed}" if failed else "")
    )


def events_applied(ev: Evidence) -> Check:
    events = TwilioEvent.objects.filter(organization_id=ev.org_id)
    unapplied = events.filter(applied_at__isnull=True, waiting_for_sid=False).count()
    parked = events.filter(applied_at__isnull=True, waiting_for_sid=True).count()
    applied = events.filter(applied_at__isnull=False).count()
    return Check(
        "every stored event applied",
        unapplied == 0 and parked == 0,
        f"applied {applied:,}, unapplied {unapplied:,}, parked for an unknown SID {parked:,}",
    )


def _final_callbacks(org_id: int) -> dict[str, tuple[str, int | None]]:
    """SID -> the highest status among its stored callbacks, with that callback's error code."""
    best: dict[str, tuple[str, int | None]] = {}
    events = TwilioEvent.objects.filter(organization_id=org_id, kind=TwilioEvent.Kind.STATUS)
    for sid, status, code in events.values_list("message_sid", "status", "payload__ErrorCode"):
        if sid not in best or RANK[status] > RANK[best[sid][0]]:
            best[sid] = (status, int(code) if code else None)
    return best


def texts_match_twilio(ev: Evidence) -> Check:
    """Each text the simulator accepted is one row (twilio_sid is unique), no row claims a SID
    the simulator never gave, and each row is in the highest status its callbacks named, with
    that callback's error code, never below what the simulator last said of it."""
    rows = {
        sid: (status, code)
        for sid, status, code in Message.objects.filter(
            organization_id=ev.org_id, direction=Message.Direction.OUTBOUND, twilio_sid__isnull=False
        ).values_list("twilio_sid", "status", "error_code")
    }
    twilio = {m["sid"]: m["status"] for m in ev.simulator_messages}
    callbacks = _final_callbacks(ev.org_id)
    missing = sorted(set(twilio) - set(rows))
    unknown = sorted(set(rows) - set(twilio))
    wrong = sorted(
        sid
        for sid, (status, code) in rows.items()
        if (sid in callbacks and (status, code) != callbacks[sid]) or RANK[status] < RANK.get(twilio.get(sid, ""), 0)
    )
    ok = not (missing or unknown or wrong)
    detail = (
        f"simulator accepted {len(twilio):,} texts, rows with a SID {len(rows):,}: missing {len(missing)}, "
        f"not the simulator's {len(unknown)}, status or error code wrong {len(wrong)}"
    )
    examples = (missing + unknown + wrong)[:3]
    return Check(
        "each accepted text is exactly one row, in its callbacks' status",
        ok,
        detail + (f" (e.g. {examples})" if examples else ""),
    )


def _repeated_follow_ups(action_id: int, within: float = 10.0) -> int:
    """Follow-ups that repeat the previous one of their conversation (same script, same body)
    within `within` seconds: what a client's retry of a send the API answered 5xx for looks like."""
    rows = Message.objects.filter(action_id=action_id, kind=Message.Kind.FOLLOW_UP).order_by("conversation_id", "created_at")
    repeats, previous = 0, None
    for row in rows.values_list("conversation_id", "response_script", "body", "created_at"):
        if previous and row[:3] == previous[:3] and (row[3] - previous[3]).total_seconds() <= within:
            repeats += 1
        previous = row
    return repeats


def texts_settled(ev: Evidence) -> Check:
    """Every text the volunteers' API took (201) is one row, sent (a SID) or refused with a
    reason; none left pending/unknown; and no row the API answered an error for."""
    outbound = Message.objects.filter(action_id=ev.action_id, direction=Message.Direction.OUTBOUND)
    total = outbound.count()
    unsettled = outbound.filter(status__in=UNSETTLED).count()
    unexplained = outbound.filter(twilio_sid__isnull=True).exclude(status__in=UNSETTLED).filter(error_message="").count()
    refused = Counter(outbound.filter(twilio_sid__isnull=True).values_list("status", "error_code"))
    ok = unsettled == 0 and unexplained == 0 and total == ev.api_texts
    detail = (
        f"API answered 201 for {ev.api_texts:,}, rows {total:,}; pending/unknown {unsettled}; not sent without a reason "
        f"{unexplained}; refused by Twilio or canceled: {dict(sorted(refused.items(), key=str)) or 'none'}"
    )
    if total != ev.api_texts:
        detail += (
            f"; {total - ev.api_texts:+,} rows the API did not answer 201 for "
            f"({_repeated_follow_ups(ev.action_id)} follow-ups repeat their conversation's previous one within 10 s)"
        )
    return Check("every text the API took was sent or refused once", ok, detail)


def one_initial_each(ev: Evidence) -> Check:
    per_conversation = (
        Message.objects.filter(action_id=ev.action_id, kind=Message.Kind.INITIAL)
        .values("conversation_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    initials = Message.objects.filter(action_id=ev.action_id, kind=Message.Kind.INITIAL).count()
    flagged = Conversation.objects.filter(action_id=ev.action_id, has_initial=True).count()
    return Check(
        "one initial per conversation",
        per_conversation == 0 and initials == flagged,
        f"{initials:,} initials, {flagged:,} conversations with one, {per_conversation} with more",
    )


def inbound_once(ev: Evidence) -> Check:
    texts = Message.objects.filter(organization_id=ev.org_id, direction=Message.Direction.INBOUND)
    stored = TwilioEvent.objects.filter(organization_id=ev.org_id, kind=TwilioEvent.Kind.INBOUND).count()
    distinct = texts.values("twilio_sid").distinct().count()
    total = texts.count()
    return Check(
        "each reply stored once",
        total == stored == distinct,
        f"{stored:,} inbound events, {total:,} inbound texts, {distinct:,} distinct SIDs",
    )


def opt_outs_hold(ev: Evidence) -> Check:
    stops = {
        phone
        for phone, body in Message.objects.filter(organization_id=ev.org_id, direction=Message.Direction.INBOUND).values_list(
            "phone", "body"
        )
        if keyword_of(body) == "out"
    }
    opted = set(OptOut.objects.filter(organization_id=ev.org_id).values_list("phone", flat=True))
    missing = stops - opted
    sources = Counter(OptOut.objects.filter(organization_id=ev.org_id).values_list("source", flat=True))
    return Check(
        "every STOP opted its phone out",
        not missing,
        f"{len(stops):,} phones texted an opt-out word; opted out {len(opted):,} {dict(sources)}; missing {len(missing)}",
    )


def aggregates_exact(ev: Evidence) -> Check:
    action = Action.objects.get(pk=ev.action_id)
    before = conversation_state(action)
    drift = recompute_stats(action)
    moved = sum(1 for cid, state in conversation_state(action).items() if before.get(cid) != state)
    return Check(
        "aggregates == recompute_stats (and conversations' derived fields)",
        not drift and not moved,
        f"recompute_stats drift lines {len(drift)}, conversations changed by the rebuild {moved}"
        + (f"; first: {drift[0]}" if drift else ""),
    )


CHECKS = (events_stored, events_applied, texts_match_twilio, texts_settled, one_initial_each, inbound_once, opt_outs_hold)


def verdict(ev: Evidence) -> list[Check]:
    """Every check; the recount last, because recompute_stats repairs what it finds."""
    return [check(ev) for check in CHECKS] + [aggregates_exact(ev)]


def rate_reached(*, achieved: float, target: float) -> Check:
    return Check(
        "status callbacks/s >= target", achieved >= target, f"achieved {achieved:,.0f}/s over the window, target {target:,.0f}/s"
    )


def replays_acknowledged(*, posted: int, refused: dict[str, int]) -> Check:
    return Check(
        "replayed (duplicate) callbacks all acknowledged 2xx",
        not refused,
        f"{posted:,} acknowledged" + (f"; refused: {refused}" if refused else ""),
    )


def faults_injected(*, planned: int, done: list[dict]) -> Check:
    """Each planned fault happened as meant: a worker killed inside a batch, Redis restarted,
    app backends terminated."""
    bad = [f"{f['kind']} at {f['t']:.0f} s: {f['detail']}" for f in done if not f["ok"]]
    return Check(
        "faults injected as planned", len(done) == planned and not bad, f"{len(done)} of {planned}" + (f"; {bad}" if bad else "")
    )


def drivers_alive(*, crashed: list[str]) -> Check:
    return Check("volunteers and replayer ran to the end", not crashed, "; ".join(crashed) or "no driver thread died")


def processes_stayed_up(*, exits: list[dict]) -> Check:
    """Only the processes a fault killed may stop; any other exit was restarted (as docker-compose's
    restart policy would) but is a failure of its own."""
    return Check(
        "no process exited unplanned",
        not exits,
        "; ".join(f"{e['name']} exited ({e['code']}) at t={e['t']:.0f} s: {e['last_error']}" for e in exits) or "none",
    )
