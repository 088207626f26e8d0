"""DRF building blocks: the one scoped base class, permissions, pagination, error shape."""

from django.contrib.auth import get_user_model
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, generics, permissions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from .openapi import ApiMetadata, ApiSchema
from .tenancy import is_org_admin, membership_of, org_of


class IsOrgMember(permissions.BasePermission):
    message = "You must belong to an organization."

    def has_permission(self, request, view) -> bool:
        return membership_of(request.user) is not None


class IsOrgAdmin(permissions.BasePermission):
    message = "Only an organization admin can do this."

    def has_permission(self, request, view) -> bool:
        return is_org_admin(request.user)


class OrgScopedMixin:
    """Scopes `queryset` to the caller's organization; subclasses never write get_queryset.

    Role first (permission_classes, checked before any lookup), then scope: an object of
    another organization is indistinguishable from an absent one (404).
    """

    permission_classes = [permissions.IsAuthenticated, IsOrgAdmin]
    schema = ApiSchema()
    metadata_class = ApiMetadata
    org_lookup = "organization"  # the path from `queryset`'s model to its Organization

    @property
    def org(self):
        return org_of(self.request.user)

    def get_queryset(self):
        if self.org is None:
            return self.queryset.none()
        return self.queryset.filter(**{self.org_lookup: self.org})

    def get_scoped(self, model, pk):
        return model.objects.get_for_org(self.org, pk)


class OrgGenericView(OrgScopedMixin, generics.GenericAPIView):
    pass


@extend_schema_field(OpenApiTypes.INT)
class OrgUserField(serializers.PrimaryKeyRelatedField):
    """A user id that must belong to the caller's organization (else 400)."""

    default_error_messages = {
        "does_not_exist": "User {pk_value} is not a member of this organization.",
    }

    def get_queryset(self):
        org = org_of(self.context["request"].user)
        return get_user_model().objects.filter(membership__organization=org)


def exception_handler(exc, context):
    from actions.definitions import DefinitionError
    from actions.errors import ServiceError

    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DefinitionError):
        exc = exceptions.ValidationError(exc.errors)
    elif isinstance(exc, ServiceError):
        exc = ServiceAPIError(exc.detail, exc.status_code)
    return drf_exception_handler(exc, context)


class ServiceAPIError(exceptions.APIException):
    def __init__(self, detail, status_code: int) -> None:
        if isinstance(detail, str):
            detail = {"detail": detail}
        super().__init__(detail)
        self.status_code = status_code
