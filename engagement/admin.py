from django.contrib import admin

from orgs.admin import OrgScopedAdmin

from . import models


@admin.register(models.AuditEvent)
class AuditEventAdmin(OrgScopedAdmin):
    list_display = ["created_at", "actor", "verb", "action", "subject_type", "subject_id"]
    list_filter = ["verb"]


@admin.register(models.BulkJob)
class BulkJobAdmin(OrgScopedAdmin):
    list_display = ["created_at", "kind", "action", "created_by", "status", "total", "succeeded", "failed"]
    list_filter = ["kind", "status"]


@admin.register(models.Reassignment)
class ReassignmentAdmin(OrgScopedAdmin):
    list_display = ["created_at", "action", "created_by", "from_user", "scope", "moved", "undone_at"]
    list_filter = ["scope"]


@admin.register(models.ReassignmentMove)
class ReassignmentMoveAdmin(OrgScopedAdmin):
    org_lookup = "reassignment__organization"
    list_display = ["reassignment", "conversation_id", "to_user_id"]


@admin.register(models.BulkJobFailure)
class BulkJobFailureAdmin(OrgScopedAdmin):
    org_lookup = "job__organization"
    list_display = ["job", "user", "error"]


@admin.register(models.DeviceToken)
class DeviceTokenAdmin(OrgScopedAdmin):
    list_display = ["user", "platform", "created_at", "last_seen_at"]
    list_filter = ["platform"]


@admin.register(models.Notification)
class NotificationAdmin(OrgScopedAdmin):
    list_display = ["created_at", "user", "title", "job"]


@admin.register(models.InboxMessage)
class InboxMessageAdmin(OrgScopedAdmin):
    list_display = ["created_at", "user", "sender", "subject", "read_at"]
