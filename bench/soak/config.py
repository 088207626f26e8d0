"""One soak run's knobs (from the command line) and the environment its processes share: the
app runs as in production (DEBUG off, real keys, PostgreSQL, Redis) on this run's own database,
private Redis and ports."""

import argparse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The real app plus the bare one-insert view the callback rate is compared with.
SETTINGS_MODULE = "bench.webhook_settings"
PORT_RANGE = range(8800, 8900)
DATABASE_PREFIX = "p2p_soak"  # the run drops and recreates its database: never anyone else's


@dataclass(frozen=True)
class Config:
    minutes: float
    database: str
    web_port: int
    sim_port: int
    redis_port: int
    web_workers: int
    celery_workers: int
    celery_concurrency: int
    volunteers: int
    send_rate: float
    rate_cap: float
    bare_share: float
    headroom: float
    connections: int
    baseline_requests: int
    fault_rounds: int
    redis_down_seconds: float
    drain_timeout: float
    reply: float
    stop: float
    api_faults: float
    seed: int
    keep_db: bool
    out_dir: Path

    @property
    def seconds(self) -> float:
        return self.minutes * 60

    @property
    def contacts(self) -> int:
        # Enough that the volunteers never run out of people to text inside the window.
        return int(self.send_rate * self.seconds * 1.3) + 200

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def database_url(self, application_name: str) -> str:
        # application_name tells the fault injector whose PostgreSQL backend is whose.
        return f"postgres://postgres@127.0.0.1:5432/{self.database}?application_name={application_name}"

    def env(self, application_name: str) -> dict[str, str]:
        return {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DEBUG": "false",
            "SECRET_KEY": "soak-run-secret-key-not-for-production-0123456789",
            "FIELD_ENCRYPTION_KEY": "soak-run-field-encryption-key",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": self.database_url(application_name),
            "CONN_MAX_AGE": "300",
            "CELERY_BROKER_URL": self.redis_url,
            "REDIS_URL": self.redis_url,
            "PUBLIC_BASE_URL": self.web_url,
            "TWILIO_API_BASE_URL": self.sim_url,
            # A send cut short by a fault settles within the drain instead of 2-10 minutes
            # later; the code path (look-up, re-dispatch) is the production one.
            "TWILIO_UNKNOWN_GRACE_SECONDS": "20",
            "TWILIO_PENDING_STALE_SECONDS": "30",
        }


def parse(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(
        prog="bench/soak/run.py",
        description="Fault-injected soak of the Twilio event path (docs/soak.md). Exits non-zero when a check fails.",
    )
    p.add_argument("--minutes", type=float, default=5.0, help="length of the loaded window (default 5)")
    p.add_argument("--short", action="store_true", help="the ~1 minute mode: --minutes 1, one round of faults")
    p.add_argument("--database", default=DATABASE_PREFIX, help=f"dropped and recreated; must start with {DATABASE_PREFIX}")
    p.add_argument("--web-port", type=int, default=8801)
    p.add_argument("--sim-port", type=int, default=8802)
    p.add_argument("--redis-port", type=int, default=8851)
    p.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers")
    p.add_argument("--celery-workers", type=int, default=2)
    p.add_argument("--celery-concurrency", type=int, default=2, help="prefork processes per worker")
    p.add_argument("--volunteers", type=int, default=8)
    p.add_argument("--send-rate", type=float, default=5.0, help="texts a second the volunteers send, all together")
    p.add_argument("--rate-cap", type=float, default=700.0, help="the callbacks/s goal when the machine allows more")
    p.add_argument("--bare-share", type=float, default=0.8, help="else this share of the bare insert view's rate")
    p.add_argument("--headroom", type=float, default=1.1, help="callbacks/s offered at most: rate cap x this")
    p.add_argument("--connections", type=int, default=6, help="client connections of the load generator")
    p.add_argument("--baseline-requests", type=int, default=1500, help="per round of the bare/webhook comparison")
    p.add_argument("--fault-rounds", type=int, default=None, help="rounds of (kill worker, restart Redis, cut PostgreSQL)")
    p.add_argument("--redis-down", type=float, default=5.0, help="seconds Redis stays down")
    p.add_argument("--drain-timeout", type=float, default=300.0)
    p.add_argument("--reply", type=float, default=0.3, help="share of delivered texts the contact answers")
    p.add_argument("--stop", type=float, default=0.15, help="share of answers that are STOP (or another opt-out word)")
    p.add_argument(
        "--api-faults", type=float, default=0.005, help="share of sends the simulator answers 429, and 500 after creating"
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep-db", action="store_true", help="reuse the database instead of recreating it")
    p.add_argument("--out", type=Path, default=ROOT / "artifacts" / "soak", help="report and process logs go under here")
    a = p.parse_args(argv)
    minutes = 1.0 if a.short else a.minutes
    rounds = a.fault_rounds if a.fault_rounds is not None else (1 if minutes < 3 else 2)
    if not a.database.startswith(DATABASE_PREFIX):
        p.error(f"--database must start with {DATABASE_PREFIX} (the run drops it)")
    for name in ("web_port", "sim_port", "redis_port"):
        if getattr(a, name) not in PORT_RANGE:
            p.error(f"--{name.replace('_', '-')} must be in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")
    if minutes <= 0 or a.send_rate <= 0 or a.volunteers < 1 or a.celery_workers < 1:
        p.error("--minutes, --send-rate, --volunteers and --celery-workers must be positive")
    return Config(
        minutes=minutes,
        database=a.database,
        web_port=a.web_port,
        sim_port=a.sim_port,
        redis_port=a.redis_port,
        web_workers=a.web_workers,
        celery_workers=a.celery_workers,
        celery_concurrency=a.celery_concurrency,
        volunteers=a.volunteers,
        send_rate=a.send_rate,
        rate_cap=a.rate_cap,
        bare_share=a.bare_share,
        headroom=a.headroom,
        connections=a.connections,
        baseline_requests=a.baseline_requests,
        fault_rounds=rounds,
        redis_down_seconds=a.redis_down,
        drain_timeout=a.drain_timeout,
        reply=a.reply,
        stop=a.stop,
        api_faults=a.api_faults,
        seed=a.seed,
        keep_db=a.keep_db,
        out_dir=a.out,
    )
