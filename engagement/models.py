"""User engagement: the organization's audit log of admin actions, bulk jobs (push, email,
inbox message, send action) with their per-recipient failures, device tokens, the volunteer
inbox and stored push notifications, and contact re-assignments with undo."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from actions.models import Action, TenantModel


class AuditEvent(TenantModel):
    """One admin action: who, when, on what, with which filter and how many. `subject_*`
    point at the record holding the details (a BulkJob, a Reassignment)."""

    class Verb(models.TextChoices):
        REASSIGN = "reassign", "Contacts re-assigned"
        REASSIGN_UNDO = "reassign_undo", "Re-assignment undone"
        BULK_PUSH = "bulk_push", "Push notification sent"
        BULK_EMAIL = "bulk_email", "Email sent"
        BULK_INBOX = "bulk_inbox", "Inbox message sent"
        BULK_SEND_ACTION = "bulk_send_action", "Action sent to matching users"
        ACTION_CREATE = "action_create", "Action created"
        ACTION_STATUS = "action_status", "Action status changed"
        CONTACTS_UPLOAD = "contacts_upload", "Contacts uploaded"
        ACTION_SEND = "action_send", "Action sent to users"
        VOLUNTEER_CREATE = "volunteer_create", "Volunteer added"
        EXPORT_START = "export_start", "Export started"
        EXPORT_DOWNLOAD = "export_download", "Export downloaded"
        CRM_CONNECTION_CREATE = "crm_connection_create", "CRM connection added"
        CRM_CONNECTION_TEST = "crm_connection_test", "CRM connection tested"
        MAPPING_SET = "mapping_set", "DataSync mapping set"
        MAPPING_DELETE = "mapping_delete", "DataSync mapping removed"
        DATASYNC_RETRY = "datasync_retry", "Failed syncs retried"
        ORGANIZATION_CHANGE = "organization_change", "Organization settings changed"
        LOGIN_LOCKOUT = "login_lockout", "Login locked out"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=32, choices=Verb.choices)
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject_type = models.CharField(max_length=32, blank=True, default="")
    subject_id = models.BigIntegerField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at"]), models.Index(fields=["action", "-created_at"])]


class BulkJob(TenantModel):
    class Kind(models.TextChoices):
        PUSH = "push"
        EMAIL = "email"
        INBOX = "inbox"
        SEND_ACTION = "send_action"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The engagement filter as given (query parameters), so the audit says who was meant.
    filters = models.JSONField(default=dict, blank=True)
    # What was sent: {"title", "body"} | {"subject", "body"} | {"body"} | {"target_action"}.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    @property
    def progress(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0


class BulkJobFailure(models.Model):
    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="failures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField()


class DeviceToken(TenantModel):
    """A volunteer's device registered for push (an FCM registration token)."""

    class Platform(models.TextChoices):
        ANDROID = "android"
        IOS = "ios"
        WEB = "web"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="device_tokens")
    token = models.CharField(max_length=512, unique=True)
    platform = models.CharField(max_length=8, choices=Platform.choices, default=Platform.ANDROID)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)


class Notification(TenantModel):
    """A push notification as the database backend stores it for the volunteer app to read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(BulkJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]


class InboxMessage(TenantModel):
    """A direct message from an admin to a user's in-app inbox."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    job = models.ForeignKey(BulkJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]
        # A bulk job that runs twice (acks_late) never delivers the same message twice.
        constraints = [
            models.UniqueConstraint(fields=["job", "user"], condition=Q(job__isnull=False), name="inbox_once_per_job_user")
        ]


class Reassignment(TenantModel):
    class Scope(models.TextChoices):
        ALL = "all"
        NEEDS_ATTENTION = "needs_attention"
        UNSENT = "unsent"

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to_user_ids = models.JSONField(default=list)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    # Extra conversation filters: {"tags": [...], "error_codes": [...], "attention_hours": N}.
    filters = models.JSONField(default=dict, blank=True)
    moved = models.PositiveIntegerField(default=0)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    undone_moved = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["action", "-created_at"])]


class ReassignmentMove(models.Model):
    """A conversation a re-assignment moved, and to whom: what an undo moves back.

    `conversation_id` and `to_user_id` carry no foreign keys, so logging 100,000 moves in
    the re-assignment's statement costs no lookups (the audit keeps the ids even if the
    conversation or the user is deleted later)."""

    reassignment = models.ForeignKey(Reassignment, on_delete=models.CASCADE, related_name="moves")
    conversation_id = models.BigIntegerField()
    to_user_id = models.BigIntegerField()
