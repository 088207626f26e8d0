"""The OpenAPI schema generates without errors or warnings, and the docs are served."""

import io

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=io.StringIO())
    schema = yaml.safe_load(target.read_text())
    assert "/api/v1/actions/{id}/contacts/" in schema["paths"]
    assert "/api/v1/conversations/{id}/messages/" in schema["paths"]
    assert any(s.get("tokenAuth") is not None for s in schema["paths"]["/api/v1/actions/"]["get"]["security"])


def test_the_browsable_docs_load_offline(admin_user, client):
    client.force_login(admin_user)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert b"cdn." not in page.content and b"/static/drf_spectacular_sidecar/" in page.content
    assert client.get("/api/v1/schema/").status_code == 200
