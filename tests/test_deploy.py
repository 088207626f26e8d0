"""What deploys and runs the project: the compose file and image (no Docker engine here, so
they are parsed and checked), and the two commands the README opens with."""

import re
import shlex
import subprocess
from importlib import import_module
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) >= {"web", "worker", "beat", "postgres", "redis"}
    assert compose["services"]["postgres"]["image"].startswith("postgres:")
    assert compose["services"]["redis"]["image"].startswith("redis:")


def test_web_runs_migrations_then_gunicorn_on_our_wsgi_app(compose):
    command = " ".join(command_of(compose["services"]["web"]))
    assert command.index("manage.py migrate") < command.index("gunicorn p2p_admin.wsgi:application")
    module, _, name = "p2p_admin.wsgi:application".partition(":")
    assert callable(getattr(import_module(module), name))


@pytest.mark.parametrize(("service", "role"), [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_our_celery_app(compose, service, role):
    assert command_of(compose["services"][service])[:4] == ["celery", "-A", "p2p_admin", role]
    assert import_module("p2p_admin").celery_app.main == "p2p_admin"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_share_the_image_and_point_at_postgres_and_redis(compose, service):
    spec = compose["services"][service]
    env = spec["environment"]
    assert spec["build"] == "." and (ROOT / "Dockerfile").exists()
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["DEBUG"] == "false"
    assert {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "PUBLIC_BASE_URL"} <= set(env)
    assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_dockerfile_installs_the_pinned_requirements_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    assert "pip install -r requirements.txt" in dockerfile and "collectstatic" in dockerfile
    assert "gunicorn" in dockerfile
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip()]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line) for line in pins), "every requirement is pinned"
    assert any(line.lower().startswith("gunicorn==") for line in pins)


def test_the_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:\w+)?\n(.*?)```", readme, re.S)
    first_commands = [line.strip() for line in blocks[0].splitlines() if line.strip() and not line.startswith("#")]
    assert first_commands == ["./scripts/demo.sh", "./scripts/test.sh"]
    assert readme.index("```") < readme.index("\n## ")


@pytest.mark.parametrize("script", ["scripts/demo.sh", "scripts/test.sh", ".ci/run"])
def test_the_commands_are_executable_bash(script):
    path = ROOT / script
    assert path.stat().st_mode & 0o111
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0


def test_ci_runs_the_test_command_and_nothing_else():
    lines = [line for line in (ROOT / ".ci/run").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines == ['exec "$(dirname "$0")/../scripts/test.sh" "$@"']
