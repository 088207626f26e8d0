"""Callback load beyond what the simulator's own texts produce, and the bare view it is held to.

`Load` re-posts, signed like Twilio, callbacks the app already stored for texts it really sent
(Twilio delivers at least once), as fast as the server takes them up to the rate cap: they go
through the real webhook views and must all be deduplicated (requests, never rows). Every
PROBE_EVERY-th second it sends the same number of requests to the bare one-insert view
(bench/webhook_app.py) instead, so the two rates are measured under the same background (the
simulator, the volunteers, the workers, whatever else shares the machine). `baseline` measures
both once more before the load, on an otherwise idle deployment, for reference.

Rows the bare view and the baseline insert belong to a scratch organization and are deleted
right after each measurement, so the soak's own queue and checks never see them."""

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import close_old_connections, connection
from twilio.request_validator import RequestValidator

from actions.models import TwilioEvent
from actions.twilio.client import INBOUND_PATH, STATUS_CALLBACK_PATH
from bench import loadgen
from orgs.models import Organization

from .config import Config

HOST = "127.0.0.1"
POOL = 20_000  # the most recent stored callbacks a replay is drawn from
TICK = 1.0
PROBE_EVERY = 10


def signed_request(cfg: Config, token: str, path: str, params: dict) -> bytes:
    signature = RequestValidator(token).compute_signature(cfg.web_url + path, params)
    return loadgen.post_request(HOST, cfg.web_port, path, urlencode(params), {"X-Twilio-Signature": signature})


class Scratch:
    """A throwaway organization for the bare view's and the baseline's rows."""

    def __init__(self) -> None:
        stamp = uuid.uuid4().hex
        self.org = Organization.objects.create(
            name=f"soak-scratch-{stamp}",
            slug=f"soak-scratch-{stamp}",
            twilio_account_sid="AC" + stamp,
            twilio_auth_token=uuid.uuid4().hex,
            messaging_service_sid="MG" + uuid.uuid4().hex,
        )

    def bare(self, cfg: Config, n: int) -> list[bytes]:
        return [
            loadgen.post_request(
                HOST, cfg.web_port, "/bench/bare-insert/", urlencode({"org": self.org.id, "MessageSid": f"SM{uuid.uuid4().hex}"})
            )
            for _ in range(n)
        ]

    def hooks(self, cfg: Config, n: int) -> list[bytes]:
        """Signed status callbacks, each a new event (an unknown SID: stored, then parked)."""
        params = {"AccountSid": self.org.twilio_account_sid, "MessageStatus": "delivered", "To": "+12025550100"}
        return [
            signed_request(
                cfg, self.org.twilio_auth_token, STATUS_CALLBACK_PATH, params | {"MessageSid": f"SM{uuid.uuid4().hex}"}
            )
            for _ in range(n)
        ]

    def clear(self) -> None:
        TwilioEvent.objects.filter(organization=self.org).delete()

    def delete(self) -> None:
        self.clear()
        self.org.delete()


@dataclass(frozen=True)
class Baseline:
    bare: list[float]
    webhook: list[float]
    failures: int


def baseline(*, cfg: Config, scratch: Scratch) -> Baseline:
    """Bare insert view vs signed webhook (new events each), alternating rounds, before the load."""
    rates: dict[str, list[float]] = {"bare": [], "webhook": []}
    failures = 0
    loadgen.run(HOST, cfg.web_port, scratch.bare(cfg, 200) + scratch.hooks(cfg, 200), cfg.connections)  # warm every worker
    for _ in range(3):
        for name, build in (("bare", scratch.bare), ("webhook", scratch.hooks)):
            rate, statuses = loadgen.run(HOST, cfg.web_port, build(cfg, cfg.baseline_requests), cfg.connections)
            rates[name].append(rate)
            failures += sum(1 for s in statuses if s != 204)
    scratch.clear()
    return Baseline(rates["bare"], rates["webhook"], failures)


@dataclass(frozen=True)
class Tick:
    t: float
    kind: str  # "replay" or "bare"
    requests: int
    rate: float


class Load:
    """Each tick replays about a second's worth of status callbacks at the rate the last tick
    reached (never above rate cap x headroom, the simulator's own posts included), plus one
    inbound replay for every ten; every PROBE_EVERY-th tick probes the bare view instead."""

    def __init__(self, cfg: Config, *, org_id: int, token: str, scratch: Scratch, simulator_posted: Callable[[], int]) -> None:
        self.cfg = cfg
        self.org_id = org_id
        self.token = token
        self.scratch = scratch
        self.ceiling = cfg.rate_cap * cfg.headroom
        self.simulator_posted = simulator_posted
        self.stopping = threading.Event()
        self.rng = random.Random(cfg.seed)
        self.pools: dict[str, list[dict]] = {"status": [], "inbound": []}
        self.last_id = 0
        self.answers: Counter = Counter()  # (kind, status) -> n
        self.crashed: list[str] = []
        self.ticks: list[Tick] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=60)

    def _refill(self) -> None:
        rows = list(
            TwilioEvent.objects.filter(organization_id=self.org_id, id__gt=self.last_id)
            .order_by("id")
            .values_list("id", "kind", "payload")[:POOL]
        )
        for _, kind, payload in rows:
            self.pools[kind].append(payload)
        for kind, pool in self.pools.items():
            self.pools[kind] = pool[-POOL:]
        if rows:
            self.last_id = rows[-1][0]

    def _replay(self, kind: str, n: int) -> float:
        pool = self.pools[kind]
        if not pool or n <= 0:
            return 0.0
        path = STATUS_CALLBACK_PATH if kind == "status" else INBOUND_PATH
        requests = [signed_request(self.cfg, self.token, path, pool[self.rng.randrange(len(pool))]) for _ in range(n)]
        rate, statuses = loadgen.run(HOST, self.cfg.web_port, requests, self.cfg.connections)
        self.answers.update((kind, status) for status in statuses)
        return rate

    def _probe(self, n: int) -> float:
        rate, statuses = loadgen.run(HOST, self.cfg.web_port, self.scratch.bare(self.cfg, n), self.cfg.connections)
        self.answers.update(("bare", status) for status in statuses)
        self.scratch.clear()
        return rate

    def _run(self) -> None:
        seen, pace = self.simulator_posted(), 100.0
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                close_old_connections()
                self._refill()
                now_seen = self.simulator_posted()
                n = max(0, min(round(pace * TICK), round(self.ceiling * TICK - (now_seen - seen))))
                seen = now_seen
                if n and self.pools["status"]:
                    if len(self.ticks) % PROBE_EVERY == PROBE_EVERY - 1:
                        self.ticks.append(Tick(round(started - self.t0, 1), "bare", n, round(self._probe(n), 1)))
                    else:
                        pace = max(50.0, self._replay("status", n))
                        self._replay("inbound", n // 10)
                        self.ticks.append(Tick(round(started - self.t0, 1), "replay", n, round(pace, 1)))
                self.stopping.wait(max(0.0, TICK - (time.monotonic() - started)))
        except Exception as exc:  # reported by the run: the rate would silently drop
            self.crashed.append(f"load generator: {exc!r}")
        finally:
            connection.close()

    def probe_seconds(self) -> float:
        """The time the load generator spent on the bare view instead of the webhook."""
        return sum(t.requests / t.rate for t in self.ticks if t.kind == "bare" and t.rate > 0)

    def median_rate(self, kind: str) -> float | None:
        rates = sorted(t.rate for t in self.ticks if t.kind == kind)
        return rates[len(rates) // 2] if rates else None

    def posted(self, kind: str) -> int:
        return sum(n for (k, status), n in self.answers.items() if k == kind and 200 <= status < 300)

    def refused(self, kinds: tuple[str, ...] = ("status", "inbound")) -> dict[str, int]:
        """Answers other than 2xx, by kind and status. The webhooks' by default: the bare view's
        probes (kind "bare") have no reconnect and may answer 500 while connections are cut,
        which says nothing about the product; the report lists them apart."""
        return {
            f"{kind} {status}": n
            for (kind, status), n in sorted(self.answers.items())
            if kind in kinds and not 200 <= status < 300
        }
