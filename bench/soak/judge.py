"""After the drain: the figures of the run and every check, as the report's dict."""

from dataclasses import asdict

from actions.models import TwilioEvent

from .config import Config
from .drain import Drained
from .report import RECOVERED_BELOW, fault_effects
from .seed import World
from .simulator import simulator_messages, simulator_posts, simulator_stats
from .verify import (
    Evidence,
    drivers_alive,
    faults_injected,
    processes_stayed_up,
    rate_reached,
    replays_acknowledged,
    verdict,
)
from .window import Window


def target_of(cfg: Config, figures: dict, baseline: dict) -> tuple[float, str]:
    """min(rate cap, bare share x the bare view's rate under the same load); the idle baseline
    stands in when the window was too short for a probe."""
    if figures["bare_under_load"]:
        return min(cfg.rate_cap, cfg.bare_share * figures["bare_under_load"]), "bare view under the soak's load"
    return min(cfg.rate_cap, cfg.bare_share * max(baseline["bare"])), "bare view before the load (no probe ran)"


def events_summary(org_id: int, posts: dict, figures: dict) -> dict:
    events = TwilioEvent.objects.filter(organization_id=org_id)
    sent = {kind: posts[kind].get("ok", 0) for kind in posts}
    return {
        "sent": sum(sent.values()),
        "sent_status": sent["status"],
        "sent_inbound": sent["inbound"],
        "stored": events.count(),
        "applied": events.filter(applied_at__isnull=False).count(),
        "replayed": figures["replayed_status"] + figures["replayed_inbound"],
    }


def lag_summary(samples: list[dict], faults: list[dict], seconds: float) -> dict:
    """Worst lag overall; worst outside each fault's recovery (from the fault until the lag is
    back under RECOVERED_BELOW); and the last sample."""
    worst = max(samples, key=lambda s: s["lag"], default={"lag": 0.0, "t": 0.0})
    recovering = [(f["t"], f["t"] + (f["caught_up_after"] if f["caught_up_after"] is not None else 1e9)) for f in faults]
    calm = [s["lag"] for s in samples if s["t"] <= seconds and not any(a <= s["t"] <= b for a, b in recovering)]
    return {
        "worst": worst["lag"],
        "worst_at": worst["t"],
        "worst_calm": max(calm, default=0.0),
        "recovered_below": RECOVERED_BELOW,
        "final": samples[-1]["lag"] if samples else 0.0,
    }


def judge(*, cfg: Config, world: World, window: Window, drained: Drained, exits: list, baseline: dict) -> dict:
    figures = window.figures()
    target, basis = target_of(cfg, figures, baseline)
    figures |= {"target": round(target, 1), "target_basis": basis}
    posts = {kind: simulator_posts(simulator_stats(cfg=cfg), kind) for kind in ("status", "inbound")}
    evidence = Evidence(
        org_id=world.org_id,
        action_id=world.action_id,
        simulator_posts=posts,
        simulator_messages=simulator_messages(cfg=cfg, world=world),
        api_texts=figures["initials"] + figures["follow_ups"],
    )
    samples = window.monitor.as_dicts()
    faults = fault_effects(window.faults.as_dicts(), samples)
    checks = [
        faults_injected(planned=len(window.faults.plan), done=faults),
        drivers_alive(crashed=window.volunteers.crashed + window.load.crashed),
        processes_stayed_up(exits=[asdict(e) | {"t": round(e.t - window.t0, 1)} for e in exits]),
        rate_reached(achieved=figures["status_per_s"], target=target),
        replays_acknowledged(posted=figures["replayed_status"] + figures["replayed_inbound"], refused=window.load.refused()),
        *verdict(evidence),
    ]
    return {
        "window": figures,
        "events": events_summary(world.org_id, posts, figures),
        "drain": asdict(drained),
        "faults": faults,
        "lag": lag_summary(samples, faults, cfg.seconds),
        "checks": [asdict(c) for c in checks],
        "pass": drained.ok and all(c.ok for c in checks),
        "samples": samples,
    }
