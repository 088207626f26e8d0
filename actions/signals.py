"""Hooks for apps that follow the facts (DataSync). Sent inside the writer's transaction."""

from django.dispatch import Signal

report_filed = Signal()  # sender=Report, report=Report
opt_out_recorded = Signal()  # sender=OptOutEvent, event=OptOutEvent
