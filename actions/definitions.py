"""Validation of an action's definitions (tags, custom fields, response scripts) and of the
reports volunteers file against them. Errors are {field: message} for a 400."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

FIELD_TYPES = ("text", "number", "choice", "date")
KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


class DefinitionError(ValueError):
    def __init__(self, errors: dict) -> None:
        super().__init__(errors)
        self.errors = errors


def clean_tags(tags) -> list[str]:
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise DefinitionError({"tags": "must be a list of non-empty strings"})
    cleaned = [t.strip() for t in tags]
    if len(set(cleaned)) != len(cleaned):
        raise DefinitionError({"tags": "tags must be unique"})
    return cleaned


def clean_custom_fields(fields) -> list[dict]:
    if not isinstance(fields, list):
        raise DefinitionError({"custom_fields": "must be a list"})
    out, seen = [], set()
    for i, field in enumerate(fields):
        where = f"custom_fields[{i}]"
        if not isinstance(field, dict):
            raise DefinitionError({where: "must be an object with key, label, type"})
        key, ftype = field.get("key"), field.get("type", "text")
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise DefinitionError({f"{where}.key": "must be letters, digits, _ . - (up to 100)"})
        if key in seen:
            raise DefinitionError({f"{where}.key": f"duplicate key {key!r}"})
        if ftype not in FIELD_TYPES:
            raise DefinitionError({f"{where}.type": f"must be one of {', '.join(FIELD_TYPES)}"})
        choices = field.get("choices") or []
        if ftype == "choice":
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
                raise DefinitionError({f"{where}.choices": "a choice field needs a list of non-empty strings"})
        elif choices:
            raise DefinitionError({f"{where}.choices": "only a choice field has choices"})
        seen.add(key)
        out.append({"key": key, "label": str(field.get("label") or key), "type": ftype, "choices": list(choices)})
    return out


def clean_response_scripts(scripts) -> list[dict]:
    if not isinstance(scripts, list):
        raise DefinitionError({"response_scripts": "must be a list"})
    out, seen = [], set()
    for i, script in enumerate(scripts):
        where = f"response_scripts[{i}]"
        if not isinstance(script, dict):
            raise DefinitionError({where: "must be an object with key, label, body"})
        key, body = script.get("key"), script.get("body")
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise DefinitionError({f"{where}.key": "must be letters, digits, _ . - (up to 100)"})
        if key in seen:
            raise DefinitionError({f"{where}.key": f"duplicate key {key!r}"})
        if not isinstance(body, str) or not body.strip():
            raise DefinitionError({f"{where}.body": "must be a non-empty string"})
        seen.add(key)
        out.append({"key": key, "label": str(script.get("label") or key), "body": body})
    return out


def clean_field_value(field: dict, value) -> str:
    """A report's value for a custom field, as the string we store and count."""
    ftype = field["type"]
    if value is None or value == "":
        return ""
    if ftype == "number":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
        if not number.is_finite() or isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        return format(number.normalize(), "f")
    if ftype == "choice":
        if value not in field["choices"]:
            raise ValueError(f"{value!r} is not one of {field['choices']}")
        return value
    if ftype == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(value, str | int | float):
        raise ValueError("must be text")
    return str(value)[:500]


def clean_report(action, tags, custom_fields) -> tuple[list[str], dict[str, str]]:
    errors = {}
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        errors["tags"] = "must be a list of tag names"
        tags = []
    unknown = [t for t in tags if t not in action.tags]
    if unknown:
        errors["tags"] = f"not tags of this action: {', '.join(unknown)}"
    if not isinstance(custom_fields, dict):
        errors["custom_fields"] = "must be an object of key: value"
        custom_fields = {}
    values = {}
    for key, value in custom_fields.items():
        field = action.custom_field(key)
        if field is None:
            errors[f"custom_fields.{key}"] = "not a custom field of this action"
            continue
        try:
            values[key] = clean_field_value(field, value)
        except ValueError as exc:
            errors[f"custom_fields.{key}"] = str(exc)
    if errors:
        raise DefinitionError(errors)
    return sorted(set(tags)), {k: v for k, v in values.items() if v != ""}


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return ""


PLACEHOLDER_RE = re.compile(r"\{([A-Za-z0-9_]+)\}")


def render_script(template: str, contact) -> str:
    """{first_name}, {last_name} and any contact column; unknown names render empty."""
    values = _Missing({k: str(v) for k, v in (contact.attributes or {}).items()})
    values.update(
        first_name=contact.first_name,
        last_name=contact.last_name,
        phone=contact.phone,
        van_id=contact.van_id,
        pdi_id=contact.pdi_id,
    )
    return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], template)
