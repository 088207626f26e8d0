"""The fault-injected soak of the Twilio event path (issue 8, item 3; docs/soak.md).

    .venv/bin/python bench/soak/run.py --short          # ~1 minute of load, one round of faults
    .venv/bin/python bench/soak/run.py --minutes 5      # the full run, two rounds

Builds its own deployment (database p2p_soak, a private Redis, gunicorn, Celery workers and
beat, the Twilio simulator), seeds an organization through the API, drives the live action
while killing a worker mid-batch, crashing Redis and cutting PostgreSQL connections, drains,
and checks that nothing was lost, doubled or miscounted. Prints the report, saves it with the
processes' logs under artifacts/soak/, and exits 1 when a check fails.
"""

import os
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.soak.config import Config, parse


def _terminate(signum, frame) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # so every started process is stopped


def database_prepare(cfg: Config) -> None:
    import psycopg2
    from django.core.management import call_command

    admin = psycopg2.connect(cfg.database_url("soak-driver-setup").replace(f"/{cfg.database}?", "/postgres?"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        if not cfg.keep_db:
            cursor.execute(f'DROP DATABASE IF EXISTS "{cfg.database}" WITH (FORCE)')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg.database])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{cfg.database}"')
    admin.close()
    call_command("migrate", verbosity=0)


def soak(cfg: Config, run_dir: Path) -> dict:
    from bench.soak.cluster import Cluster
    from bench.soak.drain import drain
    from bench.soak.judge import judge
    from bench.soak.replay import Scratch, baseline
    from bench.soak.seed import world_seed
    from bench.soak.window import window_run

    result: dict = {"config": asdict(cfg), "machine": {"cores": os.cpu_count(), "load": round(os.getloadavg()[0], 2)}}
    cluster = Cluster(cfg, run_dir)
    window = scratch = None
    try:
        cluster.start()
        world = world_seed(cfg=cfg)
        scratch = Scratch()
        result["baseline"] = asdict(baseline(cfg=cfg, scratch=scratch))
        print(
            f"seeded {world.contacts:,} contacts and {len(world.volunteers)} volunteers; load for {cfg.seconds:.0f} s", flush=True
        )
        window = window_run(cfg=cfg, cluster=cluster, world=world, scratch=scratch)
        print(f"load stopped after {window.seconds:.0f} s; draining", flush=True)
        drained = drain(cfg=cfg, org_id=world.org_id)
        window.monitor.stop()
        result |= judge(cfg=cfg, world=world, window=window, drained=drained, exits=cluster.exits, baseline=result["baseline"])
    finally:
        if window is not None:
            window.monitor.stop()
        if scratch is not None:
            scratch.delete()
        cluster.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    cfg = parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    run_dir = cfg.out_dir / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(cfg.env("soak-driver"))

    import django

    django.setup()
    from bench.soak.report import render, save

    database_prepare(cfg)
    result = soak(cfg, run_dir) | {"run_dir": str(run_dir)}
    save(result, run_dir)
    print(render(result), flush=True)
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
