from django.contrib import admin

from orgs.admin import OrgScopedAdmin

from . import models


@admin.register(models.Action)
class ActionAdmin(OrgScopedAdmin):
    editable = True
    list_display = ["name", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    fields = ["name", "status", "initial_script"]


@admin.register(models.Contact)
class ContactAdmin(OrgScopedAdmin):
    list_display = ["phone", "first_name", "last_name", "van_id", "pdi_id", "created_at"]
    search_fields = ["=phone", "last_name"]


@admin.register(models.ActionRecipient)
class ActionRecipientAdmin(OrgScopedAdmin):
    list_display = ["action", "user", "sent_at", "seen_at", "started_at", "completions"]


@admin.register(models.Conversation)
class ConversationAdmin(OrgScopedAdmin):
    list_display = ["id", "action", "contact", "assigned_user", "has_initial", "inbound_count", "needs_attention"]
    list_filter = ["needs_attention", "has_initial"]
    raw_id_fields = ["contact"]


@admin.register(models.Message)
class MessageAdmin(OrgScopedAdmin):
    list_display = ["id", "phone", "direction", "kind", "status", "error_code", "created_at"]
    list_filter = ["direction", "kind", "status"]
    search_fields = ["=twilio_sid", "=phone"]


@admin.register(models.Report)
class ReportAdmin(OrgScopedAdmin):
    list_display = ["id", "action", "conversation", "author", "created_at"]


@admin.register(models.OptOut)
class OptOutAdmin(OrgScopedAdmin):
    list_display = ["phone", "source", "created_at"]
    search_fields = ["=phone"]


@admin.register(models.OptOutEvent)
class OptOutEventAdmin(OrgScopedAdmin):
    list_display = ["phone", "kind", "source", "created_at"]
    search_fields = ["=phone"]


@admin.register(models.TrackedLink)
class TrackedLinkAdmin(OrgScopedAdmin):
    list_display = ["code", "url", "action", "created_at"]
    search_fields = ["=code"]


@admin.register(models.LinkClick)
class LinkClickAdmin(OrgScopedAdmin):
    list_display = ["link", "clicked_at", "is_bot", "user_agent"]
    list_filter = ["is_bot"]


@admin.register(models.TwilioEvent)
class TwilioEventAdmin(OrgScopedAdmin):
    list_display = ["id", "kind", "message_sid", "status", "received_at", "applied_at", "waiting_for_sid"]
    list_filter = ["kind", "waiting_for_sid"]
    search_fields = ["=message_sid"]
