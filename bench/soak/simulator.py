"""What the Twilio simulator says it did, over its own HTTP interface: its counters
(`/_simulator/stats`) and every text it accepted (the Messages list, as Twilio would answer it)."""

from collections import Counter
from contextlib import suppress

import requests

from .config import Config
from .seed import World


def simulator_stats(*, cfg: Config) -> Counter:
    r = requests.get(cfg.sim_url + "/_simulator/stats", timeout=10)
    r.raise_for_status()
    return Counter(r.json())


def simulator_posts(stats: Counter, kind: str) -> dict[str, int]:
    """The simulator's posts of `kind` (status or inbound) by outcome: 'ok' (2xx) or the HTTP
    status it got last after its retries (0: no answer at all)."""
    prefix = f"posted_{kind}_"
    return {key.removeprefix(prefix): n for key, n in stats.items() if key.startswith(prefix)}


def simulator_messages(*, cfg: Config, world: World) -> list[dict]:
    url = f"{cfg.sim_url}/2010-04-01/Accounts/{world.account_sid}/Messages.json"
    r = requests.get(url, auth=(world.account_sid, world.auth_token), timeout=120)
    r.raise_for_status()
    return r.json()["messages"]


class StatusPosts:
    """The simulator's status posts so far, for the replayer's budget; the last known count
    when the simulator does not answer."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.last = 0

    def __call__(self) -> int:
        with suppress(requests.RequestException):
            self.last = sum(simulator_posts(simulator_stats(cfg=self.cfg), "status").values())
        return self.last
