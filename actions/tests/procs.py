"""Real processes for the tests and benchmarks that need them: a Celery worker, gunicorn, a
private redis-server. Each runs in its own session so it can be stopped (or SIGKILLed) as a
group by its own id, never by name."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


def database_url() -> str:
    """The database this process uses (the test database under pytest)."""
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


class Proc:
    def __init__(self, args: list[str], env: dict | None = None, ready: str | None = None, port: int | None = None) -> None:
        self.output: list[str] = []
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        try:
            if ready:
                self.wait_for(ready)
            if port:
                wait_for_port(port)
        except TimeoutError:
            self.kill(signal.SIGKILL)  # never leave a half-started process behind
            raise

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.output):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise TimeoutError(f"{text!r} never appeared:\n{''.join(self.output[-40:])}")

    def kill(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> "Proc":
        return self

    def __exit__(self, *exc) -> None:
        self.kill()


def worker(broker: str, *, beat: bool = False, schedule_dir: str = "/tmp") -> Proc:
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
    }
    args = [
        str(BIN / "celery"),
        "-A",
        "p2p_admin",
        "worker",
        "-c",
        "1",
        "-P",
        "prefork",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        args += ["-B", "-s", f"{schedule_dir}/p2p-twilio-beat-{os.getpid()}"]
    return Proc(args, env=env, ready="ready.")


def gunicorn(
    port: int, broker: str, *, workers: int = 1, settings_module: str = "p2p_admin.settings", extra_env: dict | None = None
) -> Proc:
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SETTINGS_MODULE": settings_module,
        **(extra_env or {}),
    }
    args = [str(BIN / "gunicorn"), "p2p_admin.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "warning"]
    return Proc(args, env=env, port=port)


def redis_server(port: int) -> Proc:
    return Proc(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"], port=port)
