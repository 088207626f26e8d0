"""The soak's own deployment: a private redis-server, gunicorn, Celery workers and beat, and the
Twilio simulator (`manage.py twilio_simulator`), each a process group of its own so a fault can
SIGKILL exactly one of them by its id.

Like docker-compose's `restart: unless-stopped`, a process that exits without being told to is
started again; each such exit is recorded (with the last error it logged) for the report."""

import json
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from actions.tests.procs import Proc, redis_server, wait_for_port

from .config import ROOT, Config

BIN = Path(sys.executable).parent
SUPERVISE_EVERY = 0.5
GUNICORN = ("--timeout", "120", "--log-level", "warning")


@dataclass(frozen=True)
class Spec:
    args: list[str]
    env: dict[str, str]
    port: int | None = None


@dataclass(frozen=True)
class Exit:
    t: float  # monotonic time of the restart
    name: str
    code: int
    last_error: str


def _last_error(output: list[str]) -> str:
    """The last ERROR/CRITICAL line a process logged (JSON logs), or its last line."""
    for line in reversed(output):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("ERROR", "CRITICAL"):
            return f"{entry.get('logger')}: {entry.get('message')}"[:300]
    return output[-1].strip()[:300] if output else ""


class Cluster:
    def __init__(self, cfg: Config, log_dir: Path) -> None:
        self.cfg = cfg
        self.log_dir = log_dir
        self.redis: Proc | None = None
        self.specs: dict[str, Spec] = {}
        self.procs: dict[str, Proc] = {}
        self.gone: list[tuple[str, Proc]] = []  # stopped processes, kept for their logs
        self.exits: list[Exit] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._workers_started = 0
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)

    # -- starting ------------------------------------------------------------------------

    def start(self) -> None:
        cfg = self.cfg
        self.start_redis()
        self._run(
            "web",
            Spec(
                [
                    str(BIN / "gunicorn"),
                    "p2p_admin.wsgi",
                    "-b",
                    f"127.0.0.1:{cfg.web_port}",
                    "-w",
                    str(cfg.web_workers),
                    *GUNICORN,
                ],
                cfg.env("soak-web"),
                port=cfg.web_port,
            ),
        )
        self._run("twilio", Spec(self._simulator_args(), cfg.env("soak-twilio"), port=cfg.sim_port))
        for _ in range(cfg.celery_workers):
            self.start_worker()
        beat = [str(BIN / "celery"), "-A", "p2p_admin", "beat", "-s", str(self.log_dir / "beat-schedule"), "--loglevel=WARNING"]
        self._run("beat", Spec(beat, cfg.env("soak-beat")))
        self._supervisor.start()

    def _simulator_args(self) -> list[str]:
        cfg = self.cfg
        options = {
            "--port": cfg.sim_port,
            "--posters": 8,
            "--seed": cfg.seed,
            "--reply": cfg.reply,
            "--stop": cfg.stop,
            "--fault-429": cfg.api_faults,
            "--fault-500-after-create": cfg.api_faults,
        }
        return [sys.executable, str(ROOT / "manage.py"), "twilio_simulator"] + [str(x) for kv in options.items() for x in kv]

    def _run(self, name: str, spec: Spec) -> Proc:
        proc = Proc(spec.args, env=spec.env)
        with self.lock:
            self.specs[name], self.procs[name] = spec, proc
        if spec.port:
            wait_for_port(spec.port)
        return proc

    def start_worker(self) -> str:
        self._workers_started += 1
        name = f"soak-worker-{self._workers_started}"
        args = [str(BIN / "celery"), "-A", "p2p_admin", "worker", "-n", f"{name}@%h", "-c", str(self.cfg.celery_concurrency)]
        args += ["-P", "prefork", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        proc = self._run(name, Spec(args, self.cfg.env(name)))
        self._wait_ready(name, proc)
        return name

    def _wait_ready(self, name: str, proc: Proc, timeout: float = 60) -> None:
        """Its "ready." line is logged below the app's Celery log level, so ask it instead."""
        from p2p_admin.celery import app

        node = f"{name}@{socket.gethostname()}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.proc.poll() is None:
            try:
                # A fresh connection each time: a pooled one may have died with a Redis restart.
                with app.connection_for_write() as conn:
                    if app.control.ping(destination=[node], timeout=0.5, connection=conn):
                        return
            except (OperationalError, RedisError, OSError):
                time.sleep(0.5)
        raise TimeoutError(f"{node} never answered a ping:\n{''.join(proc.output[-40:])}")

    def start_redis(self) -> None:
        self.redis = redis_server(self.cfg.redis_port)

    # -- faults --------------------------------------------------------------------------

    def stop_redis(self) -> None:
        """A crash, not a shutdown: the queue, the scheduled retries and the kick key are lost."""
        if self.redis is not None:
            self.redis.kill(signal.SIGKILL)
            self.gone.append(("redis", self.redis))
            self.redis = None

    def workers(self) -> list[str]:
        with self.lock:
            return [name for name in self.procs if name.startswith("soak-worker-")]

    def kill_worker(self, name: str) -> None:
        with self.lock:
            proc = self.procs.pop(name)
            del self.specs[name]
        proc.kill(signal.SIGKILL)
        self.gone.append((name, proc))

    # -- supervision and the end ---------------------------------------------------------

    def _supervise(self) -> None:
        while not self.stopping.wait(SUPERVISE_EVERY):
            with self.lock:
                dead = [(n, p) for n, p in self.procs.items() if p.proc.poll() is not None]
            for name, proc in dead:
                if self.stopping.is_set():
                    return
                self.exits.append(Exit(time.monotonic(), name, proc.proc.returncode, _last_error(proc.output)))
                self.gone.append((name, proc))
                self._run(name, self.specs[name])

    def stop(self) -> None:
        """Everything this run started, by process group; then each one's output to a log file."""
        self.stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join()
        with self.lock:
            running = ([("redis", self.redis)] if self.redis else []) + list(self.procs.items())
        for _, proc in reversed(running):
            proc.kill()
        for i, (name, proc) in enumerate(self.gone + running):
            (self.log_dir / f"{i:02d}-{name}.log").write_text("".join(proc.output))
