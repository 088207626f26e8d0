"""`create_org` (CONTRACT §2): create or update an organization and its admin, by name."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from actions.errors import Invalid
from orgs.services import organization_upsert

TWILIO_PREFIXES = {"twilio_account_sid": "AC", "messaging_service_sid": "MG"}


class Command(BaseCommand):
    help = "Create an organization and its admin, or update them when the name exists. Prints the organization id last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", required=True)
        parser.add_argument("--twilio-account-sid")
        parser.add_argument("--twilio-auth-token")
        parser.add_argument("--messaging-service-sid")

    def handle(self, *args, **options) -> None:
        values = clean_options(options)
        try:
            org = organization_upsert(**values)
        except Invalid as exc:
            raise CommandError(format_errors(exc.detail)) from None
        self.stdout.write(f"Organization {org.name!r} ready; admin {values['admin_email']}.")
        self.stdout.write(str(org.id))


def clean_options(options: dict) -> dict:
    """The upsert's arguments, or a CommandError naming every bad option."""
    errors = {}
    name = (options["name"] or "").strip()
    if not name:
        errors["name"] = "must not be empty"
    email = (options["admin_email"] or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["admin_email"] = f"{email!r} is not an email address"
    password = options["admin_password"] or ""
    try:
        validate_password(password)
    except ValidationError as exc:
        errors["admin_password"] = " ".join(exc.messages)
    twilio = {key: options.get(key) for key in ("twilio_account_sid", "twilio_auth_token", "messaging_service_sid")}
    for key, prefix in TWILIO_PREFIXES.items():
        value = twilio[key]
        if value is not None and value and not (value.startswith(prefix) and value[2:].isalnum()):
            errors[key] = f"{value!r} is not a Twilio SID starting with {prefix}"
    if errors:
        raise CommandError(format_errors(errors))
    return {"name": name, "admin_email": email, "admin_password": password, **twilio}


def format_errors(errors) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"--{key.replace('_', '-')}: {message}" for key, message in errors.items())
    return str(errors)
