"""Every URL of the project, called by each persona that must not get in (STYLE: tenancy you
cannot forget). Endpoints added later are walked automatically; tests/endpoints.py lists
the few that are not, with the reason."""

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from conftest import client_for
from orgs.models import Membership
from tests.endpoints import NOT_WALKED, walked_endpoints
from tests.factories import OrganizationFactory, make_member
from tests.world import build_world

pytestmark = pytest.mark.django_db

PK = 2_000_000_001  # fits every id column (int4 too) and no sequence reaches it in a test
MARKER = "qqWORLDqq"
ENDPOINTS = walked_endpoints(PK)


def calls(predicate) -> list:
    return [pytest.param(e, m, id=f"{m.upper()} /{e}") for e in ENDPOINTS if predicate(e) for m in e.methods]


def logged_in(user) -> APIClient:
    client = client_for(user)  # token for the API
    client.force_login(user)  # session for the pages
    return client


@pytest.fixture(scope="module")
def people(module_db) -> SimpleNamespace:
    """The world of one organization and everyone who calls into it (logged in), built once
    per module."""
    org, other_org = OrganizationFactory(), OrganizationFactory()
    world = build_world(org, pk=PK, marker=MARKER)
    return SimpleNamespace(
        world=world,
        admin=logged_in(make_member(org, Membership.Role.ADMIN)),
        volunteer=logged_in(make_member(org)),
        colleague=logged_in(make_member(org)),
        outsider=logged_in(make_member(other_org, Membership.Role.ADMIN)),
    )


def call(client: APIClient, endpoint, method: str):
    response = getattr(client, method)(endpoint.path, {}, format="json")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert MARKER.encode() not in body, f"{method.upper()} {endpoint.path} leaked another user's data"
    return response


def test_the_walk_covers_the_contract_endpoints():
    routes = {e.route for e in ENDPOINTS}
    for route in (
        "api/v1/volunteers/",
        "api/v1/actions/",
        "api/v1/actions/<int:pk>/contacts/",
        "api/v1/actions/<int:pk>/send/",
        "api/v1/me/actions/<int:pk>/batch/",
        "api/v1/conversations/<int:pk>/messages/",
        "api/v1/conversations/<int:pk>/report/",
        "api/v1/conversations/<int:pk>/opt_out/",
    ):
        assert route in routes
    assert all(reason for reason in NOT_WALKED.values())


def test_the_world_is_real_for_its_own_admin(people):
    """The control: the ids the walkers use name real objects that their own admin can read."""
    skipped = people.world.skipped
    assert not any(model.__module__.startswith(("actions.", "orgs.")) for model in skipped), skipped
    response = people.admin.get(f"/api/v1/actions/{PK}/")
    assert response.status_code == 200 and MARKER in response.json()["name"]


@pytest.mark.parametrize(("endpoint", "method"), calls(lambda e: e.has_ids))
def test_outsider_gets_404_for_another_organizations_objects(people, endpoint, method):
    response = call(people.outsider, endpoint, method)
    assert response.status_code == 404, response.content[:300]


@pytest.mark.parametrize(("endpoint", "method"), calls(lambda e: not e.has_ids))
def test_outsider_sees_only_its_own_organization_without_ids(people, endpoint, method):
    response = call(people.outsider, endpoint, method)
    assert response.status_code < 500, response.content[:300]


@pytest.mark.parametrize(("endpoint", "method"), calls(lambda e: e.admin_only))
def test_volunteer_gets_403_on_admin_endpoints(people, endpoint, method):
    response = call(people.volunteer, endpoint, method)
    assert response.status_code == 403, response.content[:300]


@pytest.mark.parametrize(("endpoint", "method"), calls(lambda e: e.has_ids and not e.admin_only))
def test_volunteer_gets_404_for_another_volunteers_work(people, endpoint, method):
    """The world's action was sent to the world's volunteer, who holds its conversation."""
    response = call(people.colleague, endpoint, method)
    assert response.status_code == 404, response.content[:300]


@pytest.mark.parametrize(("endpoint", "method"), calls(lambda e: True))
def test_anonymous_gets_401_from_the_api_and_the_login_page_elsewhere(people, endpoint, method):
    response = call(APIClient(), endpoint, method)
    if endpoint.is_api:
        assert response.status_code == 401, response.content[:300]
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/"), response
