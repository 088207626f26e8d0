"""`manage.py create_org` (CONTRACT §2)."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from orgs.models import Membership, Organization
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TWILIO = ["--twilio-account-sid", "AC" + "1" * 32, "--twilio-auth-token", "tok-1", "--messaging-service-sid", "MG" + "2" * 32]


def create_org(*args: str) -> str:
    out = io.StringIO()
    call_command("create_org", *args, stdout=out)
    return out.getvalue()


def test_creates_the_organization_and_its_admin_and_prints_the_id_last():
    out = create_org("--name", "Acme Union", "--admin-email", "Boss@Acme.org", "--admin-password", "a-long-password", *TWILIO)
    org = Organization.objects.get(name="Acme Union")
    assert out.strip().splitlines()[-1] == str(org.id)
    assert (org.slug, org.twilio_account_sid, org.twilio_auth_token) == ("acme-union", "AC" + "1" * 32, "tok-1")
    admin = authenticate(username="boss@acme.org", password="a-long-password")
    assert admin is not None and admin.membership.organization == org and admin.membership.role == Membership.Role.ADMIN


def test_a_second_run_updates_and_never_duplicates():
    first = create_org("--name", "Acme", "--admin-email", "boss@acme.org", "--admin-password", "a-long-password", *TWILIO)
    second = create_org(
        "--name", "Acme", "--admin-email", "boss@acme.org", "--admin-password", "another-long-password",
        "--twilio-auth-token", "tok-2",
    )  # fmt: skip
    assert first.splitlines()[-1] == second.splitlines()[-1]
    org = Organization.objects.get()
    assert org.twilio_auth_token == "tok-2" and org.twilio_account_sid == "AC" + "1" * 32
    assert Membership.objects.filter(organization=org).count() == 1
    assert authenticate(username="boss@acme.org", password="another-long-password") is not None


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--name", " ", "--admin-email", "a@b.org", "--admin-password", "a-long-password"], "--name"),
        (["--name", "X", "--admin-email", "nope", "--admin-password", "a-long-password"], "--admin-email"),
        (["--name", "X", "--admin-email", "a@b.org", "--admin-password", "short"], "--admin-password"),
        (
            ["--name", "X", "--admin-email", "a@b.org", "--admin-password", "a-long-password", "--twilio-account-sid", "XX1"],
            "--twilio-account-sid",
        ),
        (
            ["--name", "X", "--admin-email", "a@b.org", "--admin-password", "a-long-password", "--messaging-service-sid", "AC1"],
            "--messaging-service-sid",
        ),
    ],
)
def test_bad_input_is_a_clear_command_error(args, complaint):
    with pytest.raises(CommandError, match=complaint):
        create_org(*args)
    assert not Organization.objects.exists()


def test_an_admin_of_another_organization_is_refused(other_org):
    user = make_member(other_org, username="taken@example.org")
    with pytest.raises(CommandError, match="already belongs to organization"):
        create_org("--name", "New", "--admin-email", user.username, "--admin-password", "a-long-password")
    assert not Organization.objects.filter(name="New").exists()


def test_a_twilio_account_already_used_by_another_organization_is_refused(other_org):
    with pytest.raises(CommandError, match="already belongs to another organization"):
        create_org(
            "--name", "New", "--admin-email", "a@b.org", "--admin-password", "a-long-password",
            "--twilio-account-sid", other_org.twilio_account_sid,
        )  # fmt: skip


def test_missing_arguments_are_refused():
    with pytest.raises(CommandError, match="required"):
        create_org("--name", "Only a name")
