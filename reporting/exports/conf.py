"""Export settings, each overridable in Django settings (tests lower them)."""

from datetime import timedelta

from django.conf import settings

# Past these estimated rows an export runs as a background job instead of streaming now.
# XLSX is lower: the workbook is assembled before the first byte can go out.
SYNC_MAX_ROWS = {"csv": 100_000, "xlsx": 20_000}
DOWNLOAD_TTL = timedelta(hours=24)
# Longer than a task may run (tasks.export_run's time limit): a job running for longer lost
# its worker, and one pending or running since then is no longer reused.
STALE_AFTER = timedelta(hours=1)


def sync_max_rows(fmt: str) -> int:
    return getattr(settings, "EXPORTS_SYNC_MAX_ROWS", SYNC_MAX_ROWS)[fmt]


def download_ttl() -> timedelta:
    return getattr(settings, "EXPORTS_DOWNLOAD_TTL", DOWNLOAD_TTL)
