"""View Reports (CONTRACT §3 reports shape) from ActionBreakdown: per tag the contacts
tagged, per custom field the distribution of values in each conversation's latest report,
per response script the times used and the replies that followed it.

Three queries whatever the action's size: the small rows (tags, choice values, scripts),
the top values of text and date fields, and the order statistics of number fields, both
computed by window functions in the database so a field with a million distinct values
never travels to Python."""

from decimal import Decimal, InvalidOperation

from django.db.models import F, FloatField, Q, Sum, Window
from django.db.models.functions import Cast, RowNumber

from actions.models import Action

from .models import ActionBreakdown

TOP_VALUES = 10
Kind = ActionBreakdown.Kind


def _fields_of(action: Action, *types: str) -> list[str]:
    return [f["key"] for f in action.custom_fields if f["type"] in types]


def _small_rows(action: Action) -> list[ActionBreakdown]:
    return list(
        ActionBreakdown.objects.filter(action=action, count__gt=0)
        .filter(
            Q(kind__in=[Kind.TAG, Kind.SCRIPT_USES, Kind.SCRIPT_REPLIES])
            | Q(kind=Kind.FIELD, key__in=_fields_of(action, "choice"))
        )
        .order_by("kind", "key", "-count", "value")
    )


def _top_values(action: Action, keys: list[str]) -> dict[str, dict]:
    """Filled count and the most frequent values of each field in `keys`."""
    if not keys:
        return {}
    ranked = (
        ActionBreakdown.objects.filter(action=action, kind=Kind.FIELD, key__in=keys, count__gt=0)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("key")], order_by=[F("count").desc(), F("value").asc()]),
            filled=Window(Sum("count"), partition_by=[F("key")]),
        )
        .filter(rank__lte=TOP_VALUES)
        .order_by("key", "rank")
    )
    out: dict[str, dict] = {}
    for row in ranked:
        entry = out.setdefault(row.key, {"filled": row.filled, "values": []})
        entry["values"].append({"value": row.value, "count": row.count})
    return out


def _number(value: str) -> Decimal | None:
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _number_stats(action: Action, keys: list[str]) -> dict[str, dict]:
    """count, min, median, max of each number field: the rows holding the first, middle and
    last positions of the value distribution, found by running sums in the database."""
    if not keys:
        return {}
    numeric = Cast("value", FloatField())
    rows = (
        ActionBreakdown.objects.filter(action=action, kind=Kind.FIELD, key__in=keys, count__gt=0)
        .annotate(
            upto=Window(Sum("count"), partition_by=[F("key")], order_by=[numeric.asc(), F("value").asc()]),
            total=Window(Sum("count"), partition_by=[F("key")]),
        )
        .order_by("key", "upto")
    )
    out: dict[str, dict] = {}
    # The window is computed in the database; only the few rows that matter are kept here.
    picked = rows.filter(
        Q(upto=F("count")) | Q(upto=F("total")) | Q(upto__gte=F("total") / 2, upto__lte=F("total") / 2 + F("count"))
    )
    for row in picked:
        entry = out.setdefault(row.key, {"count": row.total, "rows": []})
        entry["rows"].append((row.upto - row.count, row.upto, row.value))
    return {key: _order_stats(entry["count"], entry["rows"]) for key, entry in out.items()}


def _at(rows: list[tuple[int, int, str]], position: int) -> Decimal | None:
    """The value at a 1-based position of the sorted distribution."""
    return next((_number(value) for before, upto, value in rows if before < position <= upto), None)


def _order_stats(total: int, rows: list[tuple[int, int, str]]) -> dict:
    low, high = _at(rows, (total + 1) // 2), _at(rows, total // 2 + 1)
    median = (low + high) / 2 if low is not None and high is not None else None
    return {
        "count": total,
        "min": _plain(_at(rows, 1)),
        "median": _plain(median),
        "max": _plain(_at(rows, total)),
    }


def _plain(number: Decimal | None) -> str | None:
    return None if number is None else format(number.normalize(), "f")


def action_reports(*, action: Action) -> dict:
    small = _small_rows(action)
    counts = {(r.kind, r.key, r.value): r.count for r in small}
    tags = [{"tag": t, "count": counts.get((Kind.TAG, t, ""), 0)} for t in action.tags]
    tags += [{"tag": r.key, "count": r.count} for r in small if r.kind == Kind.TAG and r.key not in action.tags]
    top = _top_values(action, _fields_of(action, "text", "date", "number"))
    numbers = _number_stats(action, _fields_of(action, "number"))
    fields = []
    for field in action.custom_fields:
        key, entry = field["key"], {"key": field["key"], "label": field["label"], "type": field["type"]}
        if field["type"] == "choice":
            values = [{"value": c, "count": counts.get((Kind.FIELD, key, c), 0)} for c in field["choices"]]
            values += [
                {"value": r.value, "count": r.count}
                for r in small
                if r.kind == Kind.FIELD and r.key == key and r.value not in field["choices"]
            ]
            entry.update(filled=sum(v["count"] for v in values), values=values)
        else:
            entry.update(top.get(key, {"filled": 0, "values": []}))
        if field["type"] == "number":
            entry["stats"] = numbers.get(key, {"count": 0, "min": None, "median": None, "max": None})
        fields.append(entry)
    scripts = [
        {
            "key": s["key"],
            "label": s["label"],
            "uses": counts.get((Kind.SCRIPT_USES, s["key"], ""), 0),
            "replies": counts.get((Kind.SCRIPT_REPLIES, s["key"], ""), 0),
        }
        for s in action.response_scripts
    ]
    return {"tags": tags, "custom_fields": fields, "response_scripts": scripts}
