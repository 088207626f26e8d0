from django import template

from reporting.errors import CLASS_LABELS

register = template.Library()


@register.filter
def percent(fraction: float) -> str:
    """A 0-1 fraction as the page shows it (results.js formats refreshed rates the same way)."""
    return f"{fraction * 100:.1f}%"


@register.filter
def error_class_label(error_class: str) -> str:
    return CLASS_LABELS.get(error_class, error_class)
