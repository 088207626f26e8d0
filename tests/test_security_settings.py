"""Production settings pass `manage.py check --deploy`; every response carries the security
headers and a content security policy that allows scripts from our origin only, and no
template needs more (no inline script, handler attribute or inline style)."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
KEEP = ("PATH", "HOME", "LANG", "PYTHONPATH")


def production_env(**extra: str) -> dict:
    db = settings.DATABASES["default"]
    return {
        **{k: v for k, v in os.environ.items() if k in KEEP},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "p2p.example.org,testserver",
        "PUBLIC_BASE_URL": "https://p2p.example.org",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        **extra,
    }


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def settings_values(env: dict, *expressions: str) -> subprocess.CompletedProcess:
    """Evaluate expressions on the settings module (`s`) imported alone under `env`."""
    code = (
        "import importlib.util as u; spec = u.spec_from_file_location('s', 'p2p_admin/settings.py');"
        f"s = u.module_from_spec(spec); spec.loader.exec_module(s); print(*[{', '.join(expressions)}])"
    )
    return run(["-c", code], env)


def test_check_deploy_is_clean_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_an_insecure_production_setting():
    """The control: the check does look (cookies over plain HTTP are flagged)."""
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(SECURE_COOKIES="false"))
    assert result.returncode != 0 and "security.W012" in result.stdout + result.stderr


PROBE = """
import json, django
django.setup()
from django.test import Client
plain = Client().get("/login/")
proxied = Client().get("/login/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "redirect": [plain.status_code, plain.get("Location", "")],
    "status": proxied.status_code,
    "headers": dict(proxied.headers),
    "cookies": {name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"]} for name, c in proxied.cookies.items()},
}))
"""


@pytest.fixture(scope="module")
def production_response() -> dict:
    result = run(["-c", PROBE], {**production_env(), "DJANGO_SETTINGS_MODULE": "p2p_admin.settings"})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_plain_http_to_https(production_response):
    assert production_response["redirect"] == [301, "https://testserver/login/"]


def test_production_trusts_the_proxys_https_and_sends_hsts(production_response):
    headers = production_response["headers"]
    assert production_response["status"] == 200, "X-Forwarded-Proto: https from the proxy counts as HTTPS"
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_production_cookies_are_secure(production_response):
    cookie = production_response["cookies"]["csrftoken"]
    assert cookie["secure"] and cookie["samesite"] == "Lax"


EXPECTED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def policy(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def test_production_pages_carry_the_security_headers(production_response):
    headers = production_response["headers"]
    for name, value in EXPECTED_HEADERS.items():
        assert headers[name] == value, name
    assert "script-src 'self'" in headers["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/actions/", "/audit/", "/api/v1/actions/", "/no-such-page/"])
def test_every_response_carries_the_headers_and_a_strict_policy(client, admin_user, path):
    client.force_login(admin_user)
    response = client.get(path)
    for name, value in EXPECTED_HEADERS.items():
        assert response[name] == value, (path, name)
    csp = policy(response)
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"] and csp["form-action"] == ["'self'"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", "/api/v1/docs/"])
def test_vendored_pages_get_inline_styles_but_never_inline_scripts(client, admin_user, path):
    client.force_login(admin_user)
    csp = policy(client.get(path))
    assert "'unsafe-inline'" in csp["style-src"]
    assert csp["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_the_api_docs_load_their_setup_as_a_script_not_inline(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/api/v1/docs/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline script would be blocked"
    setup = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1)
    script = client.get(setup.replace("&amp;", "&"))
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def templates() -> list[Path]:
    found = sorted(ROOT.glob("templates/**/*.html")) + sorted(ROOT.glob("*/templates/**/*.html"))
    return [p for p in found if ".venv" not in p.parts]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


@pytest.mark.parametrize("template", templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_needs_inline_script_or_style(template):
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text), "move the script into a file under static/js/"
    assert not HANDLER_ATTRIBUTE.search(text), "attach the handler from a file under static/js/"
    assert not INLINE_STYLE.search(text), "move the style into a file under static/css/"
    assert "javascript:" not in text.lower()


def test_the_template_scan_sees_every_template():
    names = {str(p.relative_to(ROOT)) for p in templates()}
    assert {"templates/base.html", "templates/datasync/mappings.html", "orgs/templates/orgs/volunteer_home.html"} <= names


def test_a_bad_rate_limit_stops_the_start_with_the_reason():
    result = settings_values(production_env(RATE_LIMIT_LINK="lots"), "s.RATE_LIMITS")
    assert result.returncode != 0 and "RATE_LIMIT_LINK must be a rate like 120/m" in result.stderr


@pytest.mark.parametrize(
    ("raw", "parsed"), [("5/s", "(5, 1)"), ("120/m", "(120, 60)"), ("1000/h", "(1000, 3600)"), ("7/30", "(7, 30)")]
)
def test_rate_limits_come_from_the_environment(raw, parsed):
    result = settings_values(production_env(RATE_LIMIT_LINK=raw), "s.RATE_LIMITS['link']")
    assert result.returncode == 0, result.stderr[-800:]
    assert result.stdout.strip() == parsed
