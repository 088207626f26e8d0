"""Reads for the DataSync Summary and the results API's `datasync` block (CONTRACT §6)."""

from actions.models import Action


def datasync_block(action: Action) -> dict:
    return {"synced": 0, "pending": 0, "failed": 0, "skipped": 0, "last_synced_at": None, "by_source": [], "top_errors": []}
