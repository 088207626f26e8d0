"""Faults injected while the load runs, spread evenly over the window, round after round:

- worker_kill: SIGKILL a Celery worker (its whole process group) while it is inside an applier
  batch — caught in pg_stat_activity/pg_locks: its backend's open transaction holds the
  FOR UPDATE lock the batch takes on the events table — then start a new worker;
- redis_restart: SIGKILL the private redis-server (queued and scheduled tasks are lost), leave
  it down a few seconds, start it again on the same port;
- pg_terminate: pg_terminate_backend every backend of the app (gunicorn, workers) on the soak's
  database. The PostgreSQL server itself is shared and is never restarted.
"""

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass

import psycopg2

from actions.models import TwilioEvent

from .cluster import Cluster
from .config import Config

KINDS = ("worker_kill", "redis_restart", "pg_terminate")
CATCH_SECONDS = 30.0
APP_BACKENDS = "(application_name = 'soak-web' OR application_name LIKE 'soak-worker-%')"
IN_BATCH_SQL = f"""
SELECT a.application_name, a.pid, round(extract(epoch FROM clock_timestamp() - a.xact_start)::numeric * 1000)
FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
WHERE a.datname = current_database() AND a.application_name LIKE 'soak-worker-%' AND a.xact_start IS NOT NULL
  AND l.locktype = 'relation' AND l.relation = '{TwilioEvent._meta.db_table}'::regclass AND l.mode = 'RowShareLock'
LIMIT 1
"""
TERMINATE_SQL = f"""
SELECT application_name, pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND {APP_BACKENDS}
"""


@dataclass(frozen=True)
class Fault:
    t: float  # seconds since the window opened
    kind: str
    detail: str
    took: float
    ok: bool


def plan(cfg: Config) -> list[tuple[float, str]]:
    """(seconds into the window, kind), evenly spaced, none in the first or last slot."""
    kinds = [kind for _ in range(cfg.fault_rounds) for kind in KINDS]
    return [(round(cfg.seconds * (i + 1) / (len(kinds) + 1), 1), kind) for i, kind in enumerate(kinds)]


class Faults:
    def __init__(self, cfg: Config, cluster: Cluster, *, t0: float) -> None:
        self.cfg = cfg
        self.cluster = cluster
        self.t0 = t0
        self.plan = plan(cfg)
        self.done: list[Fault] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self) -> None:
        self.thread.join()

    def _run(self) -> None:
        conn = psycopg2.connect(self.cfg.database_url("soak-driver-faults"))
        conn.autocommit = True
        try:
            for at, kind in self.plan:
                if self.stopping.wait(max(0.0, self.t0 + at - time.monotonic())):
                    return
                started = time.monotonic()
                try:
                    detail, ok = getattr(self, kind)(conn)
                except Exception as exc:  # recorded, and the run fails on it: a fault not injected proves nothing
                    detail, ok = f"could not be injected: {exc!r}", False
                self.done.append(Fault(round(started - self.t0, 1), kind, detail, round(time.monotonic() - started, 1), ok))
        finally:
            conn.close()

    def worker_kill(self, conn) -> tuple[str, bool]:
        deadline = time.monotonic() + CATCH_SECONDS
        caught = None
        with conn.cursor() as cursor:
            while caught is None and time.monotonic() < deadline:
                cursor.execute(IN_BATCH_SQL)
                caught = cursor.fetchone()
                if caught is None:
                    time.sleep(0.005)
        if caught is not None:
            name, pid, age_ms = caught
            how = f"mid-batch (backend {pid} had held the events' FOR UPDATE lock for {age_ms} ms)"
        else:
            name = self.cluster.workers()[0]
            how = f"idle: no batch in flight within {CATCH_SECONDS:.0f} s"
        self.cluster.kill_worker(name)
        new = self.cluster.start_worker()
        return f"SIGKILLed {name} {how}; started {new}", caught is not None

    def redis_restart(self, conn) -> tuple[str, bool]:
        self.cluster.stop_redis()
        time.sleep(self.cfg.redis_down_seconds)
        self.cluster.start_redis()
        return f"private redis-server SIGKILLed, down {self.cfg.redis_down_seconds:.0f} s, started again empty", True

    def pg_terminate(self, conn) -> tuple[str, bool]:
        with conn.cursor() as cursor:
            cursor.execute(TERMINATE_SQL)
            killed = Counter(name for name, ok in cursor.fetchall() if ok)
        listed = ", ".join(f"{name} {n}" for name, n in sorted(killed.items())) or "none"
        return f"pg_terminate_backend on {sum(killed.values())} app backends ({listed})", bool(killed)

    def as_dicts(self) -> list[dict]:
        return [asdict(f) for f in self.done]
