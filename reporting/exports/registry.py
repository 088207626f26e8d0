"""The exporter registry (after pretix's exporters): one class per kind, added with
`@register`. Another app adds or specialises a kind in its own `exporters` module, which
`exporters()` imports once, the way the admin finds `admin` modules:

    # datasync/exporters.py
    from reporting.exports.kinds.datasync import DataSyncExporter
    from reporting.exports.registry import register

    @register
    class SyncItemsExporter(DataSyncExporter):
        def queryset(self): ...

A subclass of a registered exporter takes its kind over (it inherits the columns); a second,
unrelated class for a kind already taken is a programming error.
"""

from django.utils.module_loading import autodiscover_modules

_REGISTRY: dict[str, type] = {}
_discovered = False


def register(cls: type) -> type:
    current = _REGISTRY.get(cls.kind)
    if current is not None and current is not cls and not issubclass(cls, current):
        raise ValueError(f"export kind {cls.kind!r} is already {current.__module__}.{current.__name__}")
    _REGISTRY[cls.kind] = cls
    return cls


def exporters() -> dict[str, type]:
    """Every registered exporter by kind, in the order the export list shows them."""
    global _discovered
    if not _discovered:
        from . import kinds  # noqa: F401  (our own kinds first, so other apps can specialise them)

        autodiscover_modules("exporters")
        _discovered = True
    return dict(_REGISTRY)


def exporter_class(kind: str) -> type | None:
    return exporters().get(kind)
