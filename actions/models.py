"""Actions, contacts, conversations, messages, reports, opt-outs and tracked links.

Conversation rows carry the derived state CONTRACT §4 needs (inbound count, latest
directions, report count, opt-out flags); `reporting.recompute` can rebuild all of it
from messages, reports and opt-out events.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from orgs.models import Organization
from orgs.tenancy import TenantQuerySet


class TenantModel(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Action(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft"
        LIVE = "live"
        PAUSED = "paused"
        CLOSED = "closed"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    initial_script = models.TextField()
    # Definitions validated by actions.definitions:
    # tags: ["name", ...]; custom_fields: [{"key","label","type","choices"}];
    # response_scripts: [{"key","label","body"}]
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=list, blank=True)
    response_scripts = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return self.name

    def custom_field(self, key: str) -> dict | None:
        return next((f for f in self.custom_fields if f["key"] == key), None)

    def response_script(self, key: str) -> dict | None:
        return next((s for s in self.response_scripts if s["key"] == key), None)


class Contact(TenantModel):
    phone = models.CharField(max_length=20)  # E.164
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    van_id = models.CharField(max_length=50, blank=True, default="")
    pdi_id = models.CharField(max_length=50, blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "phone"], name="contact_unique_phone_per_org")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} {self.phone}".strip()


class ActionRecipient(TenantModel):
    """A user the action was sent to, and how far they got with it."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="action_recipients")
    sent_at = models.DateTimeField()
    seen_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    first_completed_at = models.DateTimeField(null=True, blank=True)
    completions = models.PositiveIntegerField(default=0)
    last_active_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "user"], name="recipient_unique_action_user")]
        indexes = [models.Index(fields=["user", "action"])]

    @property
    def status(self) -> str:
        if self.completions:
            return "completed"
        if self.started_at:
            return "started"
        if self.seen_at:
            return "seen"
        return "sent"


class Conversation(TenantModel):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="conversations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Derived state (see reporting.contrib for what each figure reads from it).
    has_initial = models.BooleanField(default=False)
    inbound_count = models.PositiveIntegerField(default=0)
    report_count = models.PositiveIntegerField(default=0)
    latest_report = models.ForeignKey("Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    # Latest outbound that did not fail: a failed text is not "the latest message".
    last_outbound_ok_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Set once when the contact opts out in this conversation; a later START keeps it.
    opted_out_at = models.DateTimeField(null=True, blank=True)
    # Mirror of the organization-wide opt-out of the contact's phone, now.
    contact_opted_out = models.BooleanField(default=False)
    needs_attention = models.BooleanField(default=False)
    needs_attention_since = models.DateTimeField(null=True, blank=True)
    last_error_code = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "contact"], name="conversation_unique_action_contact")]
        indexes = [
            models.Index(fields=["action", "assigned_user"]),
            models.Index(fields=["contact", "last_outbound_at"]),
            models.Index(
                fields=["action", "id"], name="conv_unassigned_unsent", condition=Q(assigned_user__isnull=True, has_initial=False)
            ),
            models.Index(fields=["assigned_user", "action"], name="conv_needs_attention", condition=Q(needs_attention=True)),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk}"


class Message(TenantModel):
    class Direction(models.TextChoices):
        OUTBOUND = "out"
        INBOUND = "in"

    class Kind(models.TextChoices):
        INITIAL = "initial"
        FOLLOW_UP = "follow_up"
        INBOUND = "inbound"

    # Statuses in the only order a message may move (CONTRACT §4). `pending` (saved, not yet
    # handed to Twilio) and `unknown` (Twilio may or may not have it) are ours.
    STATUS_ORDER = [
        "pending",
        "unknown",
        "accepted",
        "scheduled",
        "queued",
        "sending",
        "sent",
        "canceled",
        "failed",
        "undelivered",
        "delivered",
        "read",
    ]
    INBOUND_STATUSES = ["receiving", "received"]
    STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)} | {"receiving": 0, "received": 1}
    FAILED_STATUSES = ("failed", "undelivered")
    DELIVERED_STATUSES = ("delivered", "read")
    CARRIER_FILTERING_CODES = (30004, 30007)

    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    phone = models.CharField(max_length=20)  # the contact's side: To when outbound, From when inbound
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.TextField(blank=True, default="")
    twilio_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=12, default="pending")
    error_code = models.IntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    response_script = models.CharField(max_length=100, blank=True, default="")
    # Inbound only: the response script of the outbound text this one answers, if any.
    reply_to_script = models.CharField(max_length=100, blank=True, default="")
    # Outbound only: seconds since the contact's unanswered reply this text answers, if any.
    answer_seconds = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    status_updated_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation"], condition=Q(kind="initial"), name="one_initial_per_conversation"),
        ]
        indexes = [
            models.Index(fields=["action", "created_at"]),
            models.Index(fields=["conversation", "created_at"]),
            models.Index(fields=["organization", "status"], name="msg_unsent", condition=Q(status__in=["pending", "unknown"])),
        ]

    @property
    def accepted(self) -> bool:
        """Twilio's API took it (it has a SID), whatever happened to it afterwards."""
        return bool(self.twilio_sid)


class Report(TenantModel):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="reports")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "id"]), models.Index(fields=["action", "author"])]


class OptOut(TenantModel):
    """A phone the organization must never text again (current state)."""

    class Source(models.TextChoices):
        KEYWORD = "keyword"
        MANUAL = "manual"
        TWILIO_21610 = "twilio_21610"
        IMPORT = "import"

    phone = models.CharField(max_length=20)
    source = models.CharField(max_length=16, choices=Source.choices)
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "phone"], name="optout_unique_phone_per_org")]


class OptOutEvent(TenantModel):
    """Every opt-out and opt-in, in order: the raw facts behind OptOut and the opt-out figures."""

    class Kind(models.TextChoices):
        OUT = "out"
        IN = "in"

    phone = models.CharField(max_length=20)
    kind = models.CharField(max_length=3, choices=Kind.choices)
    source = models.CharField(max_length=16)
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="optout_events")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organization", "phone"]), models.Index(fields=["conversation"])]


class TrackedLink(TenantModel):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="links")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="links")
    code = models.CharField(max_length=16, unique=True)
    url = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "url"], name="link_unique_per_conversation_url")]


class LinkClick(TenantModel):
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="clicks")
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="+")
    clicked_at = models.DateTimeField()
    user_agent = models.TextField(blank=True, default="")
    method = models.CharField(max_length=8, default="GET")
    is_bot = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["action", "clicked_at"])]


class TwilioEvent(TenantModel):
    """A raw webhook, stored before anything else happens (DESIGN: the event path)."""

    class Kind(models.TextChoices):
        STATUS = "status"
        INBOUND = "inbound"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    message_sid = models.CharField(max_length=64)
    status = models.CharField(max_length=12, blank=True, default="")  # "" for inbound
    payload = models.JSONField()
    received_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    # A callback for a SID no message carries yet: kept aside until the SID appears.
    waiting_for_sid = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "message_sid", "status"], name="twilio_event_dedupe"),
        ]
        indexes = [
            models.Index(fields=["id"], name="event_unapplied", condition=Q(applied_at__isnull=True, waiting_for_sid=False)),
            models.Index(
                fields=["message_sid"], name="event_waiting", condition=Q(applied_at__isnull=True, waiting_for_sid=True)
            ),
        ]
