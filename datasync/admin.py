from django.contrib import admin

from orgs.admin import OrgScopedAdmin

from . import models


@admin.register(models.CrmConnection)
class CrmConnectionAdmin(OrgScopedAdmin):
    list_display = ["__str__", "kind", "application_name", "username", "last_tested_at", "last_test_ok"]
    list_filter = ["kind"]


@admin.register(models.SyncMapping)
class SyncMappingAdmin(OrgScopedAdmin):
    list_display = ["action", "connection", "source", "label"]


@admin.register(models.SyncItem)
class SyncItemAdmin(OrgScopedAdmin):
    list_display = ["id", "action", "source", "status", "attempts"]
    list_filter = ["status"]


@admin.register(models.SyncStats)
class SyncStatsAdmin(OrgScopedAdmin):
    org_lookup = "action__organization"
    list_display = ["action", "source", "shard"]


@admin.register(models.SyncErrorStats)
class SyncErrorStatsAdmin(OrgScopedAdmin):
    org_lookup = "action__organization"
    list_display = ["action", "text", "failed"]
