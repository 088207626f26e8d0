"""What can be synced from an action (CONTRACT §6): `tag:<name>`, `field:<key>=<value>`, `opt_out`.

Tags, choice-field values and opt-outs always get an outbox row (skipped "no mapping" until
mapped), so the summary shows what did not reach the CRM. Free-form field values (text,
number, date) get rows only once an admin maps that exact value.
"""

from actions import definitions
from actions.models import Action

OPT_OUT = "opt_out"


def tag_source(name: str) -> str:
    return f"tag:{name}"


def field_source(key: str, value: str) -> str:
    return f"field:{key}={value}"


def report_sources(tags: list, custom_fields: dict) -> set[str]:
    """The sources a report's answers stand for."""
    sources = {tag_source(t) for t in tags}
    sources |= {field_source(k, str(v)) for k, v in custom_fields.items() if v not in (None, "")}
    return sources


def action_sources(action: Action) -> list[str]:
    """Every source listed on the mapping screen, in the action's own order."""
    sources = [tag_source(t) for t in action.tags]
    for field in action.custom_fields:
        if field["type"] == "choice":
            sources += [field_source(field["key"], c) for c in field["choices"]]
    return [*sources, OPT_OUT]


def always_tracked(action: Action, source: str) -> bool:
    return source in set(action_sources(action))


def clean_source(action: Action, raw) -> str:
    """A source of this action, or ValueError saying why not."""
    if not isinstance(raw, str) or not raw:
        raise ValueError('must be "tag:<name>", "field:<key>=<value>" or "opt_out"')
    if raw == OPT_OUT:
        return raw
    kind, _, rest = raw.partition(":")
    if kind == "tag":
        if rest not in action.tags:
            raise ValueError(f"{rest!r} is not a tag of this action")
        return raw
    if kind == "field":
        key, eq, value = rest.partition("=")
        field = action.custom_field(key)
        if field is None or not eq:
            raise ValueError(f"{key!r} is not a custom field of this action (use field:<key>=<value>)")
        clean = definitions.clean_field_value(field, value)
        if clean == "":
            raise ValueError("the value must not be empty")
        return field_source(key, clean)
    raise ValueError('must be "tag:<name>", "field:<key>=<value>" or "opt_out"')


def source_label(action: Action, source: str) -> str:
    if source == OPT_OUT:
        return "Opt-out"
    kind, _, rest = source.partition(":")
    if kind == "tag":
        return f"Tag: {rest}"
    key, _, value = rest.partition("=")
    field = action.custom_field(key)
    return f"{field['label'] if field else key}: {value}"
