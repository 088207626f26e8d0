"""A generic "world": one row of every model of our apps for one organization, every row with
the same primary key. Any id in any URL can then be filled with that key and it names an
object that exists, whatever model the view looks up, including models added after this
file was written. Text columns carry the world's marker so a response that leaks the world
is easy to spot."""

import datetime
import decimal
import uuid
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from orgs.models import Membership, Organization

WORLD_APPS = ("orgs", "actions", "reporting", "engagement", "datasync")


class Unbuildable(Exception):
    pass


@dataclass
class World:
    organization: Organization
    pk: int
    marker: str
    rows: dict[type[models.Model], models.Model] = field(default_factory=dict)
    skipped: dict[type[models.Model], str] = field(default_factory=dict)

    @property
    def user(self):
        """The world's volunteer: it holds the world's conversation and received its action."""
        return self.rows[get_user_model()]


def world_models() -> list[type[models.Model]]:
    found = [get_user_model()]
    for label in WORLD_APPS:
        found += [m for m in apps.get_app_config(label).get_models() if m._meta.managed and not m._meta.proxy]
    return [m for m in found if m is not Organization]


def build_world(organization: Organization, *, pk: int, marker: str) -> World:
    world = World(organization=organization, pk=pk, marker=marker)
    builder = _Builder(world)
    for model in world_models():
        builder.row(model)
    builder.link_optional_relations()
    Membership.objects.filter(pk=pk).update(role=Membership.Role.VOLUNTEER)
    return world


class _Builder:
    def __init__(self, world: World) -> None:
        self.world = world
        self.building: set[type[models.Model]] = set()

    def row(self, model: type[models.Model]) -> models.Model | None:
        world = self.world
        if model is Organization:
            return world.organization
        if model in world.rows or model in world.skipped or model in self.building:
            return world.rows.get(model)
        self.building.add(model)
        try:
            obj = model(**{f.attname: self.value(f) for f in self.fields(model)})
            if not (model._meta.pk.is_relation or isinstance(model._meta.pk, models.CompositePrimaryKey)):
                obj.pk = world.pk
            with transaction.atomic():
                # bulk_create: a plain row, without save() hooks or signals.
                model._base_manager.bulk_create([obj])
        except (Unbuildable, DatabaseError, ValueError, TypeError) as exc:
            world.skipped[model] = f"{type(exc).__name__}: {exc}"
            return None
        finally:
            self.building.discard(model)
        world.rows[model] = obj
        return obj

    @staticmethod
    def fields(model: type[models.Model]) -> list[models.Field]:
        """The columns to fill: all but an own primary key (a composite key's parts are columns)."""
        return [
            f
            for f in model._meta.concrete_fields
            if not isinstance(f, models.CompositePrimaryKey) and not (f.primary_key and not f.is_relation)
        ]

    def value(self, f: models.Field):
        world = self.world
        if f.is_relation:
            if f.related_model is Organization:
                return world.organization.pk
            # Optional relations are linked afterwards (cycles: conversation <-> latest report).
            target = world.rows.get(f.related_model) if f.null else self.row(f.related_model)
            if target is None and not f.null:
                raise Unbuildable(f"{f.name} needs a {f.related_model.__name__} row")
            return target.pk if target is not None else None
        if f.has_default():
            return f.get_default()
        if f.null:
            return None
        if f.choices:
            return next(value for value, _ in f.flatchoices)
        return sample_value(f, world)

    def link_optional_relations(self) -> None:
        for model, obj in self.world.rows.items():
            links = {
                f.attname: self.world.rows[f.related_model].pk
                for f in self.fields(model)
                if f.is_relation and f.null and getattr(obj, f.attname) is None and f.related_model in self.world.rows
            }
            if links:
                model._base_manager.filter(pk=obj.pk).update(**links)
                for name, value in links.items():
                    setattr(obj, name, value)


def sample_value(f: models.Field, world: World):
    text = f"{world.marker} {f.name} {world.pk}"
    if isinstance(f, models.EmailField):
        return f"{world.marker.lower()}-{f.name}-{world.pk}@example.org"
    if isinstance(f, models.URLField):
        return f"https://example.org/{world.marker}/{f.name}"
    if isinstance(f, models.SlugField):
        return slugify(text)[: f.max_length]
    if isinstance(f, models.GenericIPAddressField):
        return "127.0.0.1"
    if isinstance(f, models.UUIDField):
        return uuid.uuid4()
    if isinstance(f, models.FileField):
        return f"{world.marker}.csv"
    if isinstance(f, models.CharField | models.TextField):
        return text[: f.max_length] if f.max_length else text
    if isinstance(f, models.BooleanField):
        return False
    if isinstance(f, models.DecimalField):
        return decimal.Decimal(1)
    if isinstance(f, models.IntegerField | models.FloatField):
        return 1
    if isinstance(f, models.DateTimeField):
        return timezone.now()
    if isinstance(f, models.DateField):
        return timezone.now().date()
    if isinstance(f, models.TimeField):
        return datetime.time(12, 0)
    if isinstance(f, models.DurationField):
        return datetime.timedelta(0)
    if isinstance(f, models.JSONField):
        return {}
    if isinstance(f, models.BinaryField):
        return b""
    raise Unbuildable(f"no sample value for {type(f).__name__} {f.name}")
