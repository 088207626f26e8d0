from django.contrib import admin

from orgs.admin import OrgScopedAdmin

from . import models


class AggregateAdmin(OrgScopedAdmin):
    org_lookup = "action__organization"


@admin.register(models.ActionStats)
class ActionStatsAdmin(AggregateAdmin):
    list_display = ["action", "shard", "initial_messages", "responses", "opt_outs", "needs_attention"]


@admin.register(models.ActionUserStats)
class ActionUserStatsAdmin(AggregateAdmin):
    list_display = ["action", "user", "held", "initial_messages", "responses", "needs_attention"]


@admin.register(models.ActionHourStats)
class ActionHourStatsAdmin(AggregateAdmin):
    list_display = ["action", "hour", "initial_messages", "responses", "delivered"]


@admin.register(models.ActionErrorStats)
class ActionErrorStatsAdmin(AggregateAdmin):
    list_display = ["action", "error_code", "count"]


@admin.register(models.ActionBreakdown)
class ActionBreakdownAdmin(AggregateAdmin):
    list_display = ["action", "kind", "key", "value", "count"]


@admin.register(models.ActionAlert)
class ActionAlertAdmin(AggregateAdmin):
    list_display = ["action", "metric", "rate", "threshold", "sent_at"]


@admin.register(models.ExportJob)
class ExportJobAdmin(OrgScopedAdmin):
    list_display = ["id", "action", "kind", "format", "status", "progress", "created_at"]
    list_filter = ["status", "kind"]
