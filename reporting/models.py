"""Aggregates: every figure of CONTRACT §4, kept by the writers in the same transaction as
the facts they count, and rebuilt from the raw tables by reporting.recompute."""

from django.conf import settings
from django.db import models

from actions.models import Action

STATS_SHARDS = 8
# Time a volunteer took to answer a contact's reply, histogram buckets (upper bounds, seconds).
ANSWER_BUCKETS = [
    ("answer_1m", 60),
    ("answer_5m", 300),
    ("answer_15m", 900),
    ("answer_1h", 3600),
    ("answer_4h", 14400),
    ("answer_12h", 43200),
    ("answer_1d", 86400),
    ("answer_3d", 259200),
    ("answer_more", None),
]  # per-action totals are spread over a few rows so concurrent writers rarely wait


def counter():
    return models.BigIntegerField(default=0)


class ActionStats(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="stats_shards")
    shard = models.SmallIntegerField(default=0)
    # Overview
    sent_to = counter()
    seen = counter()
    started = counter()
    completed = counter()
    performs = counter()
    reports = counter()
    # Message performance
    conversations = counter()
    reports_available = counter()
    reports_filled = counter()
    initial_messages = counter()
    responses = counter()
    follow_ups = counter()
    opt_outs = counter()
    messages_remaining = counter()
    needs_attention = counter()
    twilio_errors = counter()
    carrier_filtering = counter()
    delivered = counter()
    link_clicks = counter()
    link_clicks_bots = counter()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "shard"], name="actionstats_unique_shard")]


class ActionUserStats(models.Model):
    """Per action x user. `initial_messages`, `follow_ups`, `reports`, `delivered` and the error
    counts follow the author; the conversation figures follow the current holder."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="user_stats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    held = counter()
    unsent = counter()
    initial_messages = counter()
    follow_ups = counter()
    responses = counter()
    opt_outs = counter()
    needs_attention = counter()
    reports = counter()
    reports_available = counter()
    reports_filled = counter()
    delivered = counter()
    twilio_errors = counter()
    carrier_filtering = counter()
    answer_1m = counter()
    answer_5m = counter()
    answer_15m = counter()
    answer_1h = counter()
    answer_4h = counter()
    answer_12h = counter()
    answer_1d = counter()
    answer_3d = counter()
    answer_more = counter()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "user"], name="actionuserstats_unique")]


class ActionHourStats(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="hour_stats")
    hour = models.DateTimeField()
    initial_messages = counter()
    follow_ups = counter()
    responses = counter()
    opt_outs = counter()
    twilio_errors = counter()
    carrier_filtering = counter()
    delivered = counter()
    link_clicks = counter()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "hour"], name="actionhourstats_unique")]


class ActionErrorStats(models.Model):
    """Outbound messages failed or undelivered, per error code (0 when Twilio gave none)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="error_stats")
    error_code = models.IntegerField()
    count = counter()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "error_code"], name="actionerrorstats_unique")]


class ActionBreakdown(models.Model):
    """Counts behind View Reports: conversations whose latest report carries a tag or a field
    value; times a response script was used; inbound replies that followed it."""

    class Kind(models.TextChoices):
        TAG = "tag"
        FIELD = "field"
        SCRIPT_USES = "script_uses"
        SCRIPT_REPLIES = "script_replies"

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="breakdowns")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=500, blank=True, default="")
    count = counter()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "kind", "key", "value"], name="actionbreakdown_unique")]


class ActionAlert(models.Model):
    """An alert already emailed: admins hear once per action and metric (reporting.alerts)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="alerts")
    metric = models.CharField(max_length=32)
    rate = models.FloatField()
    threshold = models.FloatField()
    initial_messages = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "metric"], name="actionalert_unique_metric")]


from .exports.models import ExportJob  # noqa: E402,F401
