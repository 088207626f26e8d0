from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from engagement.models import AuditEvent
from engagement.services.audit import audit_record

from .crypto import EncryptedTextField
from .models import Membership, Organization
from .tenancy import is_org_admin, org_of


class OrgScopedAdmin(admin.ModelAdmin):
    """Scoped to the organization admin's own organization; facts are read-only here because
    the services keep aggregates in step with them."""

    org_lookup = "organization"
    editable = False
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over millions of messages per page view

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        org = org_of(request.user)
        return qs.filter(**{self.org_lookup: org.pk}) if org else qs.none()

    def _allowed(self, request) -> bool:
        return request.user.is_superuser or is_org_admin(request.user)

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.editable and self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        if self.editable:
            return super().get_readonly_fields(request, obj)
        return [f.name for f in self.model._meta.concrete_fields if not isinstance(f, EncryptedTextField)]

    def get_exclude(self, request, obj=None):
        """Secrets stored encrypted are never shown, not even to their own organization's admins."""
        secrets = [f.name for f in self.model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        return [*(super().get_exclude(request, obj) or []), *secrets]


@admin.register(Organization)
class OrganizationAdmin(OrgScopedAdmin):
    org_lookup = "pk"
    editable = True
    list_display = ["name", "slug", "twilio_account_sid", "messaging_service_sid", "created_at"]
    fields = ["name", "twilio_account_sid", "messaging_service_sid"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        audit_record(
            organization_id=obj.pk, actor=request.user, verb=AuditEvent.Verb.ORGANIZATION_CHANGE, subject=obj, summary=changes
        )


@admin.register(Membership)
class MembershipAdmin(OrgScopedAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email"]


if admin.site.is_registered(get_user_model()):
    admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class MemberUserAdmin(OrgScopedAdmin, UserAdmin):
    org_lookup = "membership__organization"
    list_display = ["email", "first_name", "last_name", "is_active", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    list_filter = ["is_active"]
    fieldsets = [(None, {"fields": ["username", "email", "first_name", "last_name", "is_active", "last_login", "date_joined"]})]

    def get_readonly_fields(self, request, obj=None):
        return ["username", "email", "first_name", "last_name", "is_active", "last_login", "date_joined"]
