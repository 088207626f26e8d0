"""Sampled once a second on the soak's own connection (spared by the fault injector), for the
soak's organization: the queue lag — the age of the oldest stored, unapplied event that is not
parked for an unknown SID, as /healthz defines it — the backlog behind it, the parked callbacks,
and the events stored so far."""

import threading
import time
from dataclasses import asdict, dataclass

import psycopg2

from actions.models import TwilioEvent

from .config import Config

EVENTS = TwilioEvent._meta.db_table
SAMPLE_SQL = f"""
SELECT
  (SELECT extract(epoch FROM clock_timestamp() - received_at) FROM {EVENTS}
    WHERE applied_at IS NULL AND NOT waiting_for_sid AND organization_id = %(org)s ORDER BY id LIMIT 1),
  (SELECT count(*) FROM {EVENTS} WHERE applied_at IS NULL AND NOT waiting_for_sid AND organization_id = %(org)s),
  (SELECT count(*) FROM {EVENTS} WHERE applied_at IS NULL AND waiting_for_sid AND organization_id = %(org)s),
  (SELECT count(*) FROM {EVENTS} WHERE organization_id = %(org)s)
"""


@dataclass(frozen=True)
class Sample:
    t: float  # seconds since the loaded window opened
    lag: float  # oldest unapplied event's age, 0 when none
    backlog: int
    parked: int
    stored: int


class Monitor:
    def __init__(self, cfg: Config, *, org_id: int, t0: float) -> None:
        self.dsn = cfg.database_url("soak-driver-monitor")
        self.org_id = org_id
        self.t0 = t0
        self.samples: list[Sample] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        conn = psycopg2.connect(self.dsn)
        conn.autocommit = True
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                with conn.cursor() as cursor:
                    cursor.execute(SAMPLE_SQL, {"org": self.org_id})
                    lag, backlog, parked, stored = cursor.fetchone()
                self.samples.append(Sample(round(started - self.t0, 1), round(float(lag or 0), 2), backlog, parked, stored))
                self.stopping.wait(max(0.0, 1.0 - (time.monotonic() - started)))
        finally:
            conn.close()

    def as_dicts(self) -> list[dict]:
        return [asdict(s) for s in self.samples]
