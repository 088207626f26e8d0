"""Removing an organization with everything that hangs off it, one DELETE per table.

Django's cascade collects rows in Python, which takes hours for millions of messages; the
seed re-runs this instead. Tables are found from the model graph, so models added by any
app later are purged too: a model belongs to the organization when one of its foreign keys
points at a row that does (its `organization` key first)."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

from orgs.models import Membership, Organization

Scope = tuple[str, list]  # a WHERE clause selecting the model's rows in scope, and its parameters


def _foreign_keys(model: type[models.Model]) -> list[models.ForeignKey]:
    fks = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
    return sorted(fks, key=lambda f: f.related_model is not Organization)


def _ids(model: type[models.Model], scope: Scope) -> Scope:
    qn = connection.ops.quote_name
    where, params = scope
    return f"SELECT {qn(model._meta.pk.column)} FROM {qn(model._meta.db_table)} WHERE {where}", params


def _scopes(organization_id: int) -> list[tuple[type[models.Model], Scope]]:
    qn = connection.ops.quote_name
    user_ids = Membership.objects.filter(organization_id=organization_id).values_list("user_id", flat=True)
    listed = ", ".join(str(int(u)) for u in user_ids) or "NULL"
    found: dict[type[models.Model], Scope] = {
        Organization: ("id = %s", [organization_id]),
        get_user_model(): (f"id IN ({listed})", []),
    }
    candidates = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    grew = True
    while grew:
        grew = False
        for model in candidates:
            if model in found:
                continue
            fk = next((f for f in _foreign_keys(model) if f.related_model in found), None)
            if fk is None:
                continue
            parent_sql, params = _ids(fk.related_model, found[fk.related_model])
            found[model] = (f"{qn(fk.column)} IN ({parent_sql})", params)
            grew = True
    return list(found.items())


@transaction.atomic
def organization_purge(*, organization_id: int) -> None:
    """Delete children before the rows their scope is read from; foreign keys are checked at commit."""
    with connection.cursor() as cursor:
        for model, (where, params) in reversed(_scopes(organization_id)):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE {where}", params)
