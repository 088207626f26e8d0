from django.contrib.auth.models import AbstractBaseUser

from actions.models import ActionRecipient

from .tenancy import org_of


def member_actions(*, user: AbstractBaseUser, limit: int = 50) -> list[ActionRecipient]:
    """The actions sent to a user, newest first, with how far the user got."""
    return list(
        ActionRecipient.objects.for_org(org_of(user))
        .filter(user=user)
        .select_related("action")
        .order_by("-sent_at", "-id")[:limit]
    )
