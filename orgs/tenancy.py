"""The one way to fetch tenant data: every tenant model's manager has `for_org`, and
`get_for_user` answers the same Http404 for "absent" and "not yours"."""

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.http import Http404

from .models import Membership, Organization

M = TypeVar("M", bound=models.Model)


class TenantQuerySet(models.QuerySet):
    def for_org(self, organization: Organization | int | None) -> "TenantQuerySet":
        if organization is None:
            return self.none()
        org_id = organization if isinstance(organization, int) else organization.pk
        return self.filter(organization_id=org_id)

    def get_for_org(self, organization: Organization | None, pk) -> models.Model:
        try:
            return self.for_org(organization).get(pk=int(pk))
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404(f"No {self.model._meta.verbose_name} matches the given query.") from None


def membership_of(user: AbstractBaseUser | AnonymousUser | None) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_p2p_membership", False)
    if cached is False:
        cached = Membership.objects.select_related("organization").filter(user=user).first()
        user._p2p_membership = cached
    return cached


def org_of(user) -> Organization | None:
    membership = membership_of(user)
    return membership.organization if membership else None


def is_org_admin(user) -> bool:
    membership = membership_of(user)
    return bool(membership and membership.is_admin)


def get_for_user(model: type[M], user, pk) -> M:
    return model.objects.get_for_org(org_of(user), pk)
