from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from actions.errors import Invalid
from engagement.models import AuditEvent
from engagement.services.audit import audit_record_by

from .models import Membership, Organization


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


@transaction.atomic
def member_create(
    *,
    organization: Organization,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    role: str = Membership.Role.VOLUNTEER,
    actor: AbstractUser | None = None,
) -> AbstractUser:
    """A user of the organization; one an admin adds (`actor`) is audited."""
    email = normalize_email(email)
    User = get_user_model()
    if User.objects.filter(username=email).exists():
        raise Invalid({"email": f"a user with email {email} already exists"})
    user = User.objects.create_user(username=email, email=email, password=password, first_name=first_name, last_name=last_name)
    Membership.objects.create(user=user, organization=organization, role=role)
    summary = {"email": email, "role": role}
    audit_record_by(actor, organization_id=organization.id, verb=AuditEvent.Verb.VOLUNTEER_CREATE, subject=user, summary=summary)
    return user


@transaction.atomic
def organization_upsert(
    *,
    name: str,
    admin_email: str,
    admin_password: str,
    twilio_account_sid: str | None = None,
    twilio_auth_token: str | None = None,
    messaging_service_sid: str | None = None,
) -> Organization:
    """Create or update the organization named `name` and its admin (idempotent by name)."""
    org = Organization.objects.select_for_update().filter(name=name).first() or Organization(name=name)
    if twilio_account_sid and Organization.objects.filter(twilio_account_sid=twilio_account_sid).exclude(pk=org.pk).exists():
        # Webhooks find their organization by AccountSid, so two cannot share one.
        raise Invalid({"twilio_account_sid": f"{twilio_account_sid} already belongs to another organization"})
    if twilio_account_sid is not None:
        org.twilio_account_sid = twilio_account_sid
    if twilio_auth_token is not None:
        org.twilio_auth_token = twilio_auth_token
    if messaging_service_sid is not None:
        org.messaging_service_sid = messaging_service_sid
    org.save()
    email = normalize_email(admin_email)
    User = get_user_model()
    user = User.objects.filter(username=email).first()
    if user is None:
        member_create(organization=org, email=email, password=admin_password, role=Membership.Role.ADMIN)
        return org
    membership = Membership.objects.filter(user=user).first()
    if membership and membership.organization_id != org.id:
        raise Invalid({"admin_email": f"{email} already belongs to organization {membership.organization.name!r}"})
    user.set_password(admin_password)
    user.email = email
    user.save()
    Membership.objects.update_or_create(user=user, defaults={"organization": org, "role": Membership.Role.ADMIN})
    return org
