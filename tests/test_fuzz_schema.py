"""Schemathesis against our own OpenAPI schema (`/api/v1/schema/`), through the WSGI app
in-process: as the admin of a seeded organization, whose real objects fill the ids in paths,
no request may answer 5xx and every answer must be documented (status code, content type,
body shape). Bounded: a few examples per operation, on a fixed seed in CI."""

import threading
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from pytest_httpserver import HTTPServer
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from actions.models import Action, Conversation
from conftest import client_for
from datasync.models import SyncMapping
from datasync.tests.fakes import VAN_APP, VAN_KEY, FakeVan
from engagement.models import BulkJob, InboxMessage, Reassignment
from engagement.services.inbox import inbox_send
from orgs.models import Membership
from reporting.exports.models import ExportJob
from reporting.exports.render import export_spec
from reporting.exports.services import export_job_start
from reporting.recompute import recompute_stats
from tests.factories import OrganizationFactory, make_member
from tests.fake_twilio import FakeTwilio
from tests.helpers import phones_csv

MAX_EXAMPLES = 5
# What the schema promises: no 5xx; every status code, content type, header and body shape as
# documented; a missing token refused; an undocumented method refused. Whether a value the
# schema allows passes the business rules (a duplicate phone, a user of another organization)
# is for the API's own tests, so schemathesis' data-acceptance checks are not run.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    unsupported_method,
]
MISSING = 2_000_000_001  # an id nothing has: what a path names when the world has no such object


@dataclass
class FuzzWorld:
    """An organization with one of everything the API names by id, its admin as the caller."""

    admin: object
    ids: dict[str, int]

    # The path prefix an `{id}` follows decides which object it names.
    PREFIXES = (
        ("/api/v1/me/actions/", "action"),
        ("/api/v1/me/inbox/", "inbox"),
        ("/api/v1/actions/", "action"),
        ("/api/v1/conversations/", "conversation"),
        ("/api/v1/crm/connections/", "connection"),
        ("/api/v1/exports/jobs/", "export"),
    )
    NAMED = {"job_id": "bulk_job", "reassignment_id": "reassignment", "mapping_id": "mapping"}

    def fill_path(self, case) -> None:
        params = case.path_parameters or {}
        for name in params:
            if name == "id":
                kind = next(k for prefix, k in self.PREFIXES if case.path.startswith(prefix))
                params[name] = self.ids.get(kind, MISSING)
            elif name in self.NAMED:
                params[name] = self.ids.get(self.NAMED[name], MISSING)


@pytest.fixture(scope="module")
def fakes():
    """Twilio and NGP VAN stand-ins at the HTTP level, for the whole module."""
    twilio = FakeTwilio()
    threading.Thread(target=twilio.serve_forever, daemon=True).start()
    van_server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    van_server.start()
    van = FakeVan(van_server, "/v4").install()
    with override_settings(TWILIO_API_BASE_URL=twilio.base_url, VAN_API_BASE_URL=van.url(), DATASYNC_HTTP_TIMEOUT=1.0):
        yield
    van_server.stop()
    twilio.shutdown()
    twilio.server_close()


@pytest.fixture(scope="module")
def fuzz_world(module_db, fakes) -> FuzzWorld:
    """Built once per module, through the API and the services as an organization would: an
    action with contacts sent to the admin (who texts and reports) and two volunteers, a CRM
    connection and a mapping, an export job, a bulk job, a re-assignment, an inbox message.
    Each test runs in a savepoint: what one fuzzed request changes, the next test does not see."""
    org = OrganizationFactory()
    admin_user, volunteer = make_member(org, Membership.Role.ADMIN), make_member(org)
    colleague = make_member(org)
    admin_api = client_for(admin_user)
    action = admin_api.post(
        "/api/v1/actions/",
        {
            "name": "Fuzzed",
            "initial_script": "Hi {first_name}",
            "tags": ["supporter"],
            "custom_fields": [{"key": "support", "label": "Support", "type": "choice", "choices": ["1", "2"]}],
            "response_scripts": [{"key": "thanks", "label": "Thanks", "body": "Thanks!"}],
        },
        format="json",
    ).json()
    contacts = SimpleUploadedFile("contacts.csv", phones_csv(12).encode(), content_type="text/csv")
    assert admin_api.post(f"/api/v1/actions/{action['id']}/contacts/", {"file": contacts}, format="multipart").status_code == 200
    admin_api.post(f"/api/v1/actions/{action['id']}/send/", {"user_ids": [admin_user.id, volunteer.id]}, format="json")
    admin_api.post(f"/api/v1/me/actions/{action['id']}/batch/", {"size": 6}, format="json")
    conversation = Conversation.objects.filter(assigned_user=admin_user).order_by("id").first()
    assert admin_api.post(f"/api/v1/conversations/{conversation.id}/messages/", {}, format="json").status_code == 201
    admin_api.post(f"/api/v1/conversations/{conversation.id}/report/", {"tags": ["supporter"]}, format="json")
    connection = admin_api.post(
        "/api/v1/crm/connections/", {"kind": "van", "application_name": VAN_APP, "api_key": VAN_KEY, "mode": 1}, format="json"
    ).json()
    admin_api.post(
        f"/api/v1/actions/{action['id']}/sync_mappings/",
        {"connection": connection["id"], "source": "tag:supporter", "target": {"type": "activist_code", "id": 201}},
        format="json",
    )
    admin_api.post(f"/api/v1/actions/{action['id']}/engagement/bulk/", {"kind": "inbox", "body": "Thanks all"}, format="json")
    admin_api.post(
        f"/api/v1/actions/{action['id']}/reassignments/",
        {"from_user": admin_user.id, "to_user": colleague.id, "scope": "unsent"},
        format="json",
    )
    export_job_start(spec=export_spec(action=conversation.action, kind="contacts", fmt="csv"), requested_by=admin_user)
    inbox_send(organization_id=org.id, user_ids=[admin_user.id], body="Welcome")
    firsts = {
        "action": conversation.action_id,
        "conversation": conversation.id,
        "connection": connection["id"],
        "mapping": SyncMapping.objects.filter(organization=org).values_list("id", flat=True).first(),
        "export": ExportJob.objects.filter(organization=org).values_list("id", flat=True).first(),
        "bulk_job": BulkJob.objects.filter(organization=org).values_list("id", flat=True).first(),
        "reassignment": Reassignment.objects.filter(organization=org).values_list("id", flat=True).first(),
        "inbox": InboxMessage.objects.filter(organization=org, user=admin_user).values_list("id", flat=True).first(),
    }
    missing = [name for name, pk in firsts.items() if pk is None]
    assert not missing, f"the seed built no {missing}"
    return FuzzWorld(admin=admin_user, ids=firsts)


@pytest.fixture
def wsgi_world(fuzz_world, settings):
    """The world, called through the bare WSGI handler. The handler closes the database
    connection after each request, which the test's transaction must outlive, so that is
    switched off as django.test.Client does it (after the seed: the client switches it on)."""
    settings.RATE_LIMITS_ENABLED = False  # the fuzzer calls faster than any client may
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield fuzz_world
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The coverage phase (every boundary value of every parameter) is unbounded in time: the
# explicit examples and the fuzzing phase, bounded by MAX_EXAMPLES, keep the run short.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}})
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_the_api_answers_as_documented(case, wsgi_world: FuzzWorld):
    wsgi_world.fill_path(case)
    token, _ = Token.objects.get_or_create(user=wsgi_world.admin)
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=CHECKS)
    assert recompute_stats(Action.objects.get(pk=wsgi_world.ids["action"])) == []
