from django.contrib import admin

from .tenancy import is_org_admin


class P2PAdminSite(admin.AdminSite):
    """Django admin for superusers and organization admins; each sees only their organization."""

    site_header = "P2P Admin data"
    site_title = "P2P Admin"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or is_org_admin(user))
