"""Personas every test can ask for: an admin and a volunteer of one organization, and an
outsider (admin of another organization)."""

import os

import pytest
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orgs.models import Membership
from tests.factories import ActionFactory, OrganizationFactory, make_member

# CI runs the property tests on a fixed seed so a red run can be replayed; developers explore.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """MD5 first: real hashing costs ~0.3 s a user and tests create hundreds of users. The
    default hashers stay listed so passwords hashed elsewhere (seed_demo) still check."""
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]):
        yield


@pytest.fixture(autouse=True, scope="session")
def static_root():
    """WhiteNoise warns on every request while STATIC_ROOT is missing (before collectstatic)."""
    from django.conf import settings

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def org(db):
    return OrganizationFactory()


@pytest.fixture
def other_org(db):
    return OrganizationFactory()


@pytest.fixture
def admin_user(org):
    return make_member(org, Membership.Role.ADMIN)


@pytest.fixture
def volunteer(org):
    return make_member(org, Membership.Role.VOLUNTEER)


@pytest.fixture
def outsider(other_org):
    return make_member(other_org, Membership.Role.ADMIN)


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def admin_api(admin_user):
    return client_for(admin_user)


@pytest.fixture
def volunteer_api(volunteer):
    return client_for(volunteer)


@pytest.fixture
def outsider_api(outsider):
    return client_for(outsider)


@pytest.fixture
def action(org):
    return ActionFactory(organization=org)
