"""factory_boy factories for the personas and objects tests need."""

import factory
from django.contrib.auth import get_user_model
from django.db import transaction

from actions.models import Action, ActionRecipient, Contact, Conversation
from orgs.models import Membership, Organization

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    twilio_account_sid = factory.Sequence(lambda n: f"AC{n:032d}")
    twilio_auth_token = factory.Sequence(lambda n: f"token{n:027d}")
    messaging_service_sid = factory.Sequence(lambda n: f"MG{n:032d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.org")
    email = factory.SelfAttribute("username")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.VOLUNTEER


def make_member(organization: Organization, role: str = Membership.Role.VOLUNTEER, **user_fields):
    return MembershipFactory(organization=organization, role=role, user=UserFactory(**user_fields)).user


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Action {n}")
    status = Action.Status.LIVE
    initial_script = "Hi {first_name}, this is {sender}. Can we count on your vote?"
    tags = ["supporter", "undecided", "wrong number"]
    custom_fields = [
        {
            "key": "support",
            "label": "Support",
            "type": "choice",
            "choices": ["1", "2", "3", "4", "5"],
        },
        {"key": "age", "label": "Age", "type": "number", "choices": []},
        {"key": "notes", "label": "Notes", "type": "text", "choices": []},
    ]
    response_scripts = [{"key": "thanks", "label": "Thanks", "body": "Thanks {first_name}!"}]


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    phone = factory.Sequence(lambda n: f"+1202555{n % 10000:04d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


def send_action(action: Action, *users) -> None:
    from actions.services.actions import action_send

    action_send(action=action, user_ids=[u.id for u in users])


@transaction.atomic  # also callable from transactional tests, which run in autocommit
def add_conversation(action: Action, contact: Contact | None = None, user=None) -> Conversation:
    """A conversation created through the same path an upload takes (aggregates included)."""
    from reporting.contrib import ConvState, Deltas, conversation_contrib
    from reporting.stats import stats_write

    contact = contact or ContactFactory(organization=action.organization)
    conv = Conversation.objects.create(organization=action.organization, action=action, contact=contact, assigned_user=user)
    deltas = Deltas()
    if user is not None and not ActionRecipient.objects.filter(action=action, user=user).exists():
        from actions.services.actions import action_send_to_users

        action_send_to_users(action=action, user_ids=[user.id], deltas=deltas)
    conversation_contrib(ConvState.new(action.id, user.id if user else None), deltas, +1)
    stats_write(deltas)
    return conv
