"""Expressions the kinds need that the ORM does not spell the same on every database."""

from django.db import connection
from django.db.models import BooleanField, F, Func

from actions.models import Action, Contact, Conversation


class JSONArrayHas(Func):
    """Whether a JSON array column holds `value`; NULL when the column is NULL (no report)."""

    output_field = BooleanField()

    def __init__(self, field: str, value: str) -> None:
        super().__init__(F(field))
        self.value = value

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"({sql} @> jsonb_build_array(%s::text))", [*params, self.value]

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        found = f"EXISTS (SELECT 1 FROM json_each({sql}) WHERE value = %s)"
        return f"(CASE WHEN {sql} IS NULL THEN NULL ELSE {found} END)", [*params, *params, self.value]


# The keys of every contact's attributes object, one row each.
_ATTRIBUTE_KEYS = {
    "postgresql": "CROSS JOIN LATERAL jsonb_object_keys("
    "CASE WHEN jsonb_typeof(c.attributes) = 'object' THEN c.attributes ELSE '{}'::jsonb END) AS j(key)",
    "sqlite": "CROSS JOIN json_each(c.attributes) AS j",
}


def contact_attribute_keys(action: Action) -> list[str]:
    """Every key of the contact attributes (the upload's extra columns) in the action."""
    conversations, contacts = Conversation._meta.db_table, Contact._meta.db_table
    sql = (
        f"SELECT DISTINCT j.key FROM {conversations} v JOIN {contacts} c ON c.id = v.contact_id "
        f"{_ATTRIBUTE_KEYS[connection.vendor]} WHERE v.action_id = %s ORDER BY j.key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [action.id])
        return [row[0] for row in cursor.fetchall()]
