"""The settings module refuses bad environment values at import (CONTRACT §1)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

GOOD = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/p2p", "DEBUG": "true"}
PRODUCTION = {**GOOD, "DEBUG": "false", "SECRET_KEY": "s" * 50, "FIELD_ENCRYPTION_KEY": "k" * 32}


def load_settings(env: dict) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly these variables."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    # The module alone, without the package (which loads Celery): a second per case.
    code = (
        "import importlib.util as u; spec = u.spec_from_file_location('s', 'p2p_admin/settings.py');"
        "s = u.module_from_spec(spec); spec.loader.exec_module(s); print(s.DEBUG, s.DATABASES['default']['ENGINE'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**keep, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({**GOOD, "DEBUG": "maybe"}, "DEBUG must be true/false/1/0"),
        ({**GOOD, "DATABASE_URL": "nonsense://x"}, "DATABASE_URL is not a database URL"),
        ({**GOOD, "DATABASE_URL": "postgres://"}, "DATABASE_URL names no database"),
        ({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG is off"),
        ({**PRODUCTION, "FIELD_ENCRYPTION_KEY": ""}, "FIELD_ENCRYPTION_KEY must be set when DEBUG is off"),
        ({**GOOD, "PUBLIC_BASE_URL": "p2p.example.org"}, "PUBLIC_BASE_URL must start with http"),
        ({**GOOD, "TWILIO_API_BASE_URL": "ftp://x"}, "TWILIO_API_BASE_URL must start with http"),
        ({**GOOD, "PHONE_DEFAULT_REGION": "USA"}, "PHONE_DEFAULT_REGION must be a two-letter region"),
        ({**GOOD, "REDIS_URL": "localhost:6379"}, "REDIS_URL must be a redis:// URL"),
        ({**GOOD, "CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE must be an integer"),
        ({**GOOD, "MAX_UPLOAD_BYTES": "10MB"}, "MAX_UPLOAD_BYTES must be an integer"),
    ],
)
def test_a_bad_value_stops_the_start_with_the_reason(env, complaint):
    result = load_settings(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and complaint in result.stderr, result.stderr[-800:]


@pytest.mark.parametrize("value", ["TRUE", "False", "1", "0", "true"])
def test_debug_takes_true_false_1_0_in_any_case(value):
    result = load_settings({**PRODUCTION, "DEBUG": value})
    assert result.returncode == 0, result.stderr[-800:]
    assert result.stdout.split()[0] == str(value.lower() in ("true", "1"))


def test_the_embedded_demo_database_is_the_default():
    env = {k: v for k, v in GOOD.items() if k != "DATABASE_URL"}
    result = load_settings(env)
    assert result.returncode == 0 and result.stdout.split()[1] == "django.db.backends.sqlite3"
