from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class OrgsConfig(AppConfig):
    name = "orgs"
    default_auto_field = "django.db.models.BigAutoField"


class P2PAdminConfig(AdminConfig):
    default_site = "orgs.admin_site.P2PAdminSite"
