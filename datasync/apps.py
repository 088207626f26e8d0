from django.apps import AppConfig


class DatasyncConfig(AppConfig):
    name = "datasync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
