from django.conf import settings
from django.db import models
from django.utils.text import slugify

from .crypto import EncryptedTextField


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    twilio_account_sid = models.CharField(max_length=64, blank=True, default="")
    twilio_auth_token = EncryptedTextField(blank=True, default="")
    messaging_service_sid = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["twilio_account_sid"],
                condition=~models.Q(twilio_account_sid=""),
                name="org_unique_twilio_account_sid",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:190] or "org"
        super().save(*args, **kwargs)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin"
        VOLUNTEER = "volunteer"

    # OneToOne: a user belongs to exactly one organization.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VOLUNTEER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "role"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.role} of {self.organization})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN
