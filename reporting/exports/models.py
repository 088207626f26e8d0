"""A background export: what was asked, how far it got, where the file is, when its link
expires. The rows outlive their files, so an action keeps its export history."""

from datetime import datetime

from django.conf import settings
from django.db import models

from actions.models import Action, TenantModel


class ExportJob(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    ACTIVE = (Status.PENDING, Status.RUNNING)

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="export_jobs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=32)
    format = models.CharField(max_length=8)
    bom = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    rows_total = models.BigIntegerField(null=True, blank=True)
    rows_done = models.BigIntegerField(default=0)
    # Name in Django's default storage; emptied when the file is purged after expiry.
    file = models.CharField(max_length=300, blank=True, default="")
    size = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["action", "-created_at"], name="exportjob_history"),
            models.Index(fields=["expires_at"], name="exportjob_expiring", condition=~models.Q(file="")),
        ]

    def __str__(self) -> str:
        return f"export {self.pk}: {self.kind}.{self.format} ({self.status})"

    @property
    def filename(self) -> str:
        return f"action-{self.action_id}-{self.kind}.{self.format}"

    def downloadable(self, now: datetime) -> bool:
        return self.status == self.Status.DONE and bool(self.file) and self.expires_at is not None and now < self.expires_at
