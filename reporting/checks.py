"""Startup checks: a bad alert threshold is reported by `manage.py check` and at startup,
not discovered by the periodic task hours later."""

from django.core import checks

from .alerts import WATCHED, threshold_of


@checks.register()
def alert_thresholds(app_configs, **kwargs) -> list[checks.Error]:
    errors = []
    for metric, (name, _) in WATCHED.items():
        try:
            threshold_of(metric)
        except ValueError as exc:
            errors.append(checks.Error(f"{name}: {exc}", id="reporting.E001"))
    return errors
