"""The operations page for superusers (queue lag, events per minute, the Celery queue, failed
tasks and jobs) and the small Redis-kept records behind it."""
