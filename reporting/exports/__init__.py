"""Exports (CONTRACT §3 and §5): a registry of exporters, CSV/XLSX writers, the PostgreSQL
COPY fast path, background jobs with progress, the API and the export list."""

# Celery autodiscovers `<app>.tasks` only; importing ours here registers them wherever
# Django loads the reporting models (the web process and every worker).
from . import tasks  # noqa: F401
