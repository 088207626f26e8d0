"""The loaded window: volunteers texting through the API, the simulator answering, the load
generator replaying callbacks and probing the bare view, the monitor sampling the queue lag,
and the faults on their schedule; then its figures."""

import time
from dataclasses import dataclass

from .cluster import Cluster
from .config import Config
from .faults import Faults
from .monitor import Monitor
from .replay import Load, Scratch
from .seed import World
from .simulator import StatusPosts, simulator_posts, simulator_stats
from .volunteers import Volunteers


@dataclass
class Window:
    t0: float
    seconds: float
    monitor: Monitor
    volunteers: Volunteers
    load: Load
    faults: Faults
    simulator: dict[str, int]  # kind -> the simulator's posts during the window

    def figures(self) -> dict:
        s = self.seconds
        # The probes of the bare view take seconds from the webhook load: the rate is over the rest.
        probing = self.load.probe_seconds()
        status = self.simulator["status"] + self.load.posted("status")
        inbound = self.simulator["inbound"] + self.load.posted("inbound")
        texts = self.volunteers.sent["initial"] + self.volunteers.sent["follow_up"]
        return {
            "seconds": round(s, 1),
            "simulator_status": self.simulator["status"],
            "simulator_inbound": self.simulator["inbound"],
            "replayed_status": self.load.posted("status"),
            "replayed_inbound": self.load.posted("inbound"),
            "probe_seconds": round(probing, 1),
            "status_per_s": round(status / max(1.0, s - probing), 1),
            "status_per_s_window": round(status / s, 1),
            "inbound_per_s": round(inbound / s, 1),
            "webhook_under_load": self.load.median_rate("replay"),
            "bare_under_load": self.load.median_rate("bare"),
            "bare_refused": self.load.refused(("bare",)),
            "initials": self.volunteers.sent["initial"],
            "follow_ups": self.volunteers.sent["follow_up"],
            "texts_per_s": round(texts / s, 1),
            "reports": self.volunteers.reports,
            "api_unexpected": self.volunteers.unexpected(),
            "api_latency_ms": self.volunteers.latency_ms(),
            "load_ticks": [t.__dict__ for t in self.load.ticks],
        }


def _posts(stats) -> dict[str, int]:
    return {kind: sum(simulator_posts(stats, kind).values()) for kind in ("status", "inbound")}


def window_run(*, cfg: Config, cluster: Cluster, world: World, scratch: Scratch) -> Window:
    """Runs cfg.minutes of load and faults; the monitor keeps sampling (through the drain) until
    the caller stops it."""
    t0 = time.monotonic()
    before = _posts(simulator_stats(cfg=cfg))
    monitor = Monitor(cfg, org_id=world.org_id, t0=t0)
    volunteers = Volunteers(cfg, world)
    load = Load(cfg, org_id=world.org_id, token=world.auth_token, scratch=scratch, simulator_posted=StatusPosts(cfg))
    faults = Faults(cfg, cluster, t0=t0)
    drivers = (volunteers, load, faults)
    monitor.start()
    try:
        for d in drivers:
            d.start()
        time.sleep(max(0.0, t0 + cfg.seconds - time.monotonic()))
        faults.join()  # a fault still in progress finishes first
    finally:
        for d in drivers:
            d.stopping.set()
        volunteers.stop()
        load.stop()
    after = _posts(simulator_stats(cfg=cfg))
    return Window(t0, time.monotonic() - t0, monitor, volunteers, load, faults, {k: after[k] - before[k] for k in after})
