"""Mapping targets (CONTRACT §6), checked against a connection's cached catalogue."""

from .models import CrmConnection

VAN_TYPES = ("activist_code", "survey_response", "result_code")
PDI_TYPES = ("pdi_flag",)


class TargetError(ValueError):
    def __init__(self, errors: dict) -> None:
        super().__init__(errors)
        self.errors = errors


def _named(entries: list[dict], wanted, key: str = "id") -> dict | None:
    return next((e for e in entries or [] if str(e.get(key)) == str(wanted)), None)


def _require(target: dict, *names: str) -> None:
    missing = {f"target.{n}": "this field is required" for n in names if target.get(n) in (None, "")}
    if missing:
        raise TargetError(missing)


def _van(catalog: dict, target: dict) -> tuple[dict, str]:
    kind = target["type"]
    if kind == "survey_response":
        _require(target, "question_id", "response_id")
        question = _named(catalog.get("survey_questions"), target["question_id"])
        if question is None:
            raise TargetError({"target.question_id": f"{target['question_id']} is not a survey question of this connection"})
        response = _named(question["responses"], target["response_id"])
        if response is None:
            raise TargetError({"target.response_id": f"{target['response_id']} is not a response to that question"})
        clean = {"type": kind, "question_id": question["id"], "response_id": response["id"]}
        return clean, f"{question['name']}: {response['name']}"
    _require(target, "id")
    entries = catalog.get("activist_codes" if kind == "activist_code" else "result_codes")
    entry = _named(entries, target["id"])
    if entry is None:
        raise TargetError({"target.id": f"{target['id']} is not a {kind.replace('_', ' ')} of this connection"})
    prefix = "Activist code" if kind == "activist_code" else "Result code"
    return {"type": kind, "id": entry["id"]}, f"{prefix}: {entry['name']}"


def _pdi(catalog: dict, target: dict) -> tuple[dict, str]:
    _require(target, "flag_id")
    question_id = target.get("question_id") or ""
    if question_id:
        question = _named(catalog.get("questions"), question_id)
        if question is None:
            raise TargetError({"target.question_id": f"{question_id} is not a question of this connection"})
        answer = _named(question["answers"], target["flag_id"], key="flag_id")
        if answer is None:
            raise TargetError({"target.flag_id": f"{target['flag_id']} is not an answer to that question"})
        return {
            "type": "pdi_flag",
            "question_id": question["id"],
            "flag_id": answer["flag_id"],
        }, f"{question['name']}: {answer['name']}"
    flag = _named(catalog.get("flags"), target["flag_id"])
    if flag is None:
        raise TargetError({"target.flag_id": f"{target['flag_id']} is not a flag of this connection"})
    return {"type": "pdi_flag", "question_id": "", "flag_id": flag["id"]}, f"Flag: {flag['name']}"


def clean_target(connection: CrmConnection, target) -> tuple[dict, str]:
    """The target with the catalogue's own ids, and a label for people; TargetError names the bad field."""
    allowed = VAN_TYPES if connection.kind == CrmConnection.Kind.VAN else PDI_TYPES
    if not isinstance(target, dict):
        raise TargetError({"target": "must be an object with a type"})
    if target.get("type") not in allowed:
        raise TargetError({"target.type": f"must be one of {', '.join(allowed)} for a {connection.kind} connection"})
    check = _van if connection.kind == CrmConnection.Kind.VAN else _pdi
    return check(connection.catalog or {}, target)


def target_choices(connection: CrmConnection) -> list[dict]:
    """Every target of the catalogue as {"value": json-able target, "label"} for the mapping screen."""
    catalog = connection.catalog or {}
    if connection.kind == CrmConnection.Kind.PDI:
        choices = [
            {
                "target": {"type": "pdi_flag", "question_id": q["id"], "flag_id": a["flag_id"]},
                "label": f"{q['name']}: {a['name']}",
            }
            for q in catalog.get("questions", [])
            for a in q["answers"]
        ]
        return choices + [
            {"target": {"type": "pdi_flag", "question_id": "", "flag_id": f["id"]}, "label": f"Flag: {f['name']}"}
            for f in catalog.get("flags", [])
        ]
    choices = [
        {
            "target": {"type": "survey_response", "question_id": q["id"], "response_id": r["id"]},
            "label": f"{q['name']}: {r['name']}",
        }
        for q in catalog.get("survey_questions", [])
        for r in q["responses"]
    ]
    choices += [
        {"target": {"type": "activist_code", "id": a["id"]}, "label": f"Activist code: {a['name']}"}
        for a in catalog.get("activist_codes", [])
    ]
    return choices + [
        {"target": {"type": "result_code", "id": r["id"]}, "label": f"Result code: {r['name']}"}
        for r in catalog.get("result_codes", [])
    ]
