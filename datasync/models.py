"""DataSync: CRM connections, what an action's values map to, and the outbox of values to send.

The outbox holds one row per contact x mapped value x connection. Its summary figures are
counters (SyncStats, SyncErrorStats) moved in the same transaction as every row's status,
so the results page never counts rows; `datasync.selectors.datasync_recount` holds them
equal to a recount.
"""

from django.db import models
from django.db.models import Q

from actions.models import Action, Contact, Conversation, TenantModel
from orgs.crypto import EncryptedTextField


class CrmConnection(TenantModel):
    class Kind(models.TextChoices):
        VAN = "van", "NGP VAN"
        PDI = "pdi", "PDI"

    kind = models.CharField(max_length=3, choices=Kind.choices)
    name = models.CharField(max_length=200, blank=True, default="")
    # VAN: basic auth `application_name:api_key|mode` (mode 0 = voter file, 1 = MyCampaign).
    application_name = models.CharField(max_length=200, blank=True, default="")
    api_key = EncryptedTextField(blank=True, default="")
    mode = models.PositiveSmallIntegerField(default=0)
    # PDI: POST /sessions with these for a bearer token.
    username = models.CharField(max_length=200, blank=True, default="")
    password = EncryptedTextField(blank=True, default="")
    api_token = EncryptedTextField(blank=True, default="")
    acquisition_type_id = models.CharField(max_length=50, blank=True, default="")
    # Shared by every worker through a Redis token bucket (datasync.ratelimit).
    requests_per_second = models.PositiveSmallIntegerField(default=20)
    catalog = models.JSONField(default=dict, blank=True)
    catalog_fetched_at = models.DateTimeField(null=True, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "kind"])]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} {self.application_name or self.username}".strip()

    @property
    def person_field(self) -> str:
        """The Contact column holding this CRM's person id."""
        return "van_id" if self.kind == self.Kind.VAN else "pdi_id"


class SyncMapping(TenantModel):
    """Source (`tag:<name>`, `field:<key>=<value>`, `opt_out`) -> a target in a connection's catalogue."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="sync_mappings")
    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="mappings")
    source = models.CharField(max_length=300)
    target = models.JSONField()
    label = models.CharField(max_length=300, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "connection", "source"], name="syncmapping_unique_source"),
        ]


class SyncItem(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending"
        IN_FLIGHT = "in_flight"
        SYNCED = "synced"
        FAILED = "failed"
        SKIPPED = "skipped"

    SKIP_NO_MAPPING = "no mapping"
    # Rows a later report or mapping may replace; synced and in-flight rows are history.
    REPLACEABLE = (Status.PENDING, Status.FAILED, Status.SKIPPED)

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="sync_items")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(CrmConnection, null=True, blank=True, on_delete=models.CASCADE, related_name="items")
    source = models.CharField(max_length=300)
    target = models.JSONField(null=True, blank=True)
    target_label = models.CharField(max_length=300, blank=True, default="")
    person_id = models.CharField(max_length=50, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices)
    skip_reason = models.CharField(max_length=40, blank=True, default="")
    # sha256 of (action, connection, person, target): the same value is sent to a person once.
    payload_hash = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # When the value was recorded: VAN's dateCanvassed, PDI's flagEntryDate.
    recorded_at = models.DateTimeField()
    synced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "payload_hash"], condition=Q(connection__isnull=False), name="syncitem_unique_payload"
            ),
            models.UniqueConstraint(
                fields=["conversation", "source"], condition=Q(connection__isnull=True), name="syncitem_unique_unmapped"
            ),
        ]
        indexes = [
            models.Index(fields=["connection", "not_before"], name="syncitem_due", condition=Q(status="pending")),
            models.Index(fields=["claimed_at"], name="syncitem_in_flight", condition=Q(status="in_flight")),
            models.Index(fields=["conversation", "source"], name="syncitem_conversation"),
            models.Index(fields=["action", "source"], name="syncitem_action_source"),
            models.Index(fields=["action", "status", "id"], name="syncitem_action_status"),
            models.Index(fields=["action", "synced_at"], name="syncitem_last_synced", condition=Q(synced_at__isnull=False)),
        ]


def counter():
    return models.BigIntegerField(default=0)


class SyncStats(models.Model):
    """Items per action x source by summary status (pending counts in-flight too), spread over
    a few shard rows so concurrent writers rarely wait on one row: read with SUM."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=300)
    shard = models.SmallIntegerField(default=0)
    synced = counter()
    pending = counter()
    failed = counter()
    skipped = counter()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "source", "shard"], name="syncstats_unique_shard")]


class SyncErrorStats(models.Model):
    """Failed items per action x error text (the DataSync Summary's top errors)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=300)
    failed = counter()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "text"], name="syncerrorstats_unique_text")]
